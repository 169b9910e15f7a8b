import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';
import { importTasks, waitForJob } from '../../../../test/transfer-helpers.ts';

interface Hit {
  id: number;
  data: Record<string, unknown>;
  highlights?: { path: string; start: number; end: number }[];
  rank?: number;
}

async function search(t: TenantFixture, projectId: number, query: Record<string, string>) {
  const res = await t.as(t.owner, {
    method: 'GET',
    url: `/api/v1/projects/${projectId}/tasks?${new URLSearchParams(query)}`,
  });
  return res;
}

/** The texts (data.text) of every task a search finds, following the cursor. */
async function texts(t: TenantFixture, projectId: number, query: Record<string, string>) {
  const out: string[] = [];
  let cursor: string | null = null;
  let total = -1;
  do {
    const res = await search(t, projectId, { ...query, limit: '2', ...(cursor ? { cursor } : {}) });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { items: Hit[]; next_cursor: string | null; total: number };
    out.push(...body.items.map((i) => String(i.data.text)));
    cursor = body.next_cursor;
    total = body.total;
  } while (cursor);
  expect(total).toBe(out.length);
  return out;
}

const choice = (value: string) => [
  { id: 'r1', from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: [value] } },
];

const TASKS = [
  { data: { text: 'The quick brown fox', meta: { source: 'Wikipedia article' } } },
  { data: { text: 'A lazy dog sleeps', tags: ['pets', 'Quick reads'] } },
  {
    data: { text: 'Foxes are quick and clever', note: 'say "hi"' },
    annotations: [{ result: choice('Positive') }],
  },
  {
    data: { text: '我们在北京大学学习自然语言处理' },
    predictions: [{ result: choice('Negative'), score: 0.3 }],
  },
  { data: { text: '北京的天气很好，大学生都出去玩了' } },
  { data: { text: '😀 标注平台的搜索功能 quick' }, annotations: [{ result: choice('Positive') }] },
];

async function seeded() {
  const ctx = await testApp();
  const t = await newTenant(ctx);
  const p = await newProject(t);
  const other = await newProject(t, { title: 'Other' });
  await importTasks(t, p.id, TASKS);
  await importTasks(t, other.id, [{ data: { text: 'quick elsewhere' } }]);
  return { ctx, t, p };
}

describe('data manager: search', () => {
  it('finds a substring in any string of the data, nested ones too, case-insensitively, with highlights', async () => {
    const { t, p } = await seeded();
    expect(await texts(t, p.id, { search: 'QUICK' })).toEqual([
      'The quick brown fox',
      'A lazy dog sleeps',
      'Foxes are quick and clever',
      '😀 标注平台的搜索功能 quick',
    ]);
    expect(await texts(t, p.id, { search: 'wikipedia' })).toEqual(['The quick brown fox']);
    expect(await texts(t, p.id, { search: 'say "hi"' })).toEqual(['Foxes are quick and clever']);
    expect(await texts(t, p.id, { search: '北京' })).toEqual([
      '我们在北京大学学习自然语言处理',
      '北京的天气很好，大学生都出去玩了',
    ]);
    expect(await texts(t, p.id, { search: 'no such words' })).toEqual([]);
    // One data key only; the old `contains` is the same search.
    expect(await texts(t, p.id, { search: 'quick', data_key: 'text' })).toHaveLength(3);
    expect(await texts(t, p.id, { contains: 'quick', data_key: 'text' })).toHaveLength(3);
    expect(await texts(t, p.id, { contains: 'Wikipedia', data_key: 'text' })).toEqual([]);

    const body = (await search(t, p.id, { search: 'quick' })).json() as { items: Hit[] };
    expect(body.items[1]!.highlights).toEqual([{ path: '/tags/1', start: 0, end: 5 }]);
    // Offsets count UTF-16 code units: the emoji is two, each Han character one.
    const [emoji] = body.items.filter((i) => String(i.data.text).startsWith('😀'));
    expect(emoji!.highlights).toEqual([{ path: '/text', start: 13, end: 18 }]);
    expect(String(emoji!.data.text).slice(13, 18)).toBe('quick');
    const zh = (await search(t, p.id, { search: '搜索' })).json() as { items: Hit[] };
    expect(zh.items[0]!.highlights).toEqual([{ path: '/text', start: 8, end: 10 }]);
  });

  it('runs full-text queries: words, phrases, exclusions, OR, ranked, in English and Chinese', async () => {
    const { t, p } = await seeded();
    expect(await texts(t, p.id, { q: 'quick fox' })).toEqual(['The quick brown fox']);
    expect(await texts(t, p.id, { q: '"quick brown"' })).toEqual(['The quick brown fox']);
    expect(await texts(t, p.id, { q: '"brown quick"' })).toEqual([]);
    expect(await texts(t, p.id, { q: 'quick -fox' })).toEqual([
      'A lazy dog sleeps',
      'Foxes are quick and clever',
      '😀 标注平台的搜索功能 quick',
    ]);
    expect(await texts(t, p.id, { q: 'lazy OR clever' })).toEqual([
      'A lazy dog sleeps',
      'Foxes are quick and clever',
    ]);
    // Chinese matches by words: 北京大学 is one word of the first text, not of the second.
    expect(await texts(t, p.id, { q: '北京大学' })).toEqual(['我们在北京大学学习自然语言处理']);
    expect(await texts(t, p.id, { q: '北京' })).toEqual(['北京的天气很好，大学生都出去玩了']);
    expect(await texts(t, p.id, { q: '天气 -大学生' })).toEqual([]);
    expect(await texts(t, p.id, { q: '"自然语言处理"' })).toEqual(['我们在北京大学学习自然语言处理']);
    expect(await texts(t, p.id, { q: '搜索 quick' })).toEqual(['😀 标注平台的搜索功能 quick']);

    const ranked = (await search(t, p.id, { q: 'quick', sort: 'relevance', limit: '10' })).json() as {
      items: Hit[];
    };
    expect(ranked.items).toHaveLength(4);
    const ranks = ranked.items.map((i) => i.rank!);
    expect(ranks.every((r) => r > 0)).toBe(true);
    expect([...ranks].sort((a, b) => b - a)).toEqual(ranks);
    expect(await texts(t, p.id, { q: 'quick', sort: 'relevance' })).toHaveLength(4);

    const zh = (await search(t, p.id, { q: '"自然语言 处理"' })).json() as { items: Hit[] };
    expect(zh.items[0]!.highlights).toEqual([{ path: '/text', start: 9, end: 15 }]);
    const en = (await search(t, p.id, { q: 'quick -fox' })).json() as { items: Hit[] };
    // Whole words only: "Quick reads" in the tags, not the excluded "fox".
    expect(en.items[0]!.highlights).toEqual([{ path: '/tags/1', start: 0, end: 5 }]);
  });

  it('finds tasks by a label in annotations or predictions, combined with other filters', async () => {
    const { t, p } = await seeded();
    expect(await texts(t, p.id, { label: 'Positive' })).toEqual([
      'Foxes are quick and clever',
      '😀 标注平台的搜索功能 quick',
    ]);
    expect(await texts(t, p.id, { label: 'Negative' })).toEqual(['我们在北京大学学习自然语言处理']);
    expect(await texts(t, p.id, { label: 'Positive', q: '搜索' })).toEqual(['😀 标注平台的搜索功能 quick']);
    expect(await texts(t, p.id, { label: 'Negative', has_predictions: 'true' })).toHaveLength(1);
    expect(await texts(t, p.id, { label: 'Negative', has_predictions: 'false' })).toEqual([]);
    expect(await texts(t, p.id, { label: 'Positive', annotated: 'false' })).toEqual([]);
    expect(await texts(t, p.id, { label: 'Neutral' })).toEqual([]);
  });

  it('applies a bulk action to the tasks a search finds', async () => {
    const { t, p } = await seeded();
    const res = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${p.id}/tasks/actions`,
      payload: {
        action: 'set_priority',
        priority: 'urgent',
        selection: { filter: { q: '北京大学 OR clever' } },
      },
    });
    expect(res.statusCode, res.body).toBe(202);
    const job = await waitForJob(t, res.json().job_id);
    expect(job.state).toBe('completed');
    expect(await texts(t, p.id, { priority: 'urgent' })).toEqual([
      'Foxes are quick and clever',
      '我们在北京大学学习自然语言处理',
    ]);
  });

  it('exports the tasks a search finds', async () => {
    const { t, p } = await seeded();
    const exported = async (query: Record<string, string>) => {
      const res = await t.as(t.owner, {
        method: 'GET',
        url: `/api/v1/projects/${p.id}/export?${new URLSearchParams({ format: 'JSON', ...query })}`,
      });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { data: { text: string } }[]).map((x) => x.data.text);
    };
    expect(await exported({ q: '北京大学 OR clever' })).toEqual([
      'Foxes are quick and clever',
      '我们在北京大学学习自然语言处理',
    ]);
    expect(await exported({ search: 'WIKI' })).toEqual(['The quick brown fox']);
    expect(await exported({ label: 'Positive', q: 'quick' })).toEqual([
      'Foxes are quick and clever',
      '😀 标注平台的搜索功能 quick',
    ]);
    const bad = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}/export?q=--` });
    expect(bad.statusCode).toBe(400);
  });

  it('refuses bad search input with 400 problem+json', async () => {
    const { t, p } = await seeded();
    for (const query of <Record<string, string>[]>[
      { search: '' },
      { q: '' },
      { q: '"-" OR' },
      { label: '' },
      { search: 'x'.repeat(501) },
      { search: 'a', contains: 'a', data_key: 'text' },
      { data_key: 'text' },
      { sort: 'relevance' },
      { sort: 'relevance', search: 'quick' },
      { q: 'quick', sort: 'relevance', cursor: Buffer.from('["x",1]').toString('base64url') },
    ]) {
      const res = await search(t, p.id, query);
      expect(res.statusCode, JSON.stringify(query)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const bulk = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${p.id}/tasks/actions`,
      payload: { action: 'delete', selection: { filter: { q: '--' } } },
    });
    expect(bulk.statusCode).toBe(400);
    expect(bulk.json().errors?.[0]?.path ?? bulk.body).toContain('body/selection/filter/q');
  });
});
