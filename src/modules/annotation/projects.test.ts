import { describe, expect, it } from 'vitest';
import { newProject, TEXT_CLASSIFICATION_CONFIG } from '../../../test/annotation-fixtures.ts';
import { newTenant } from '../../../test/fixtures.ts';
import { testApp } from '../../../test/helpers.ts';

const NER = `<View>
  <Labels name="label" toName="text">
    <Label value="PER"/><Label value="ORG"/><Label value="LOC"/><Label value="MISC"/>
  </Labels>
  <Text name="text" value="$ner"/>
</View>`;

describe('projects: create and read', () => {
  it('creates a project with defaults, the data keys of its config, and audits it', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t, { description: 'Movie reviews', instructions: '# Be kind' });
    expect(p).toMatchObject({
      title: 'Sentiment',
      description: 'Movie reviews',
      instructions: '# Be kind',
      label_config: TEXT_CLASSIFICATION_CONFIG,
      data_keys: ['text'],
      overlap: 1,
      overlap_coverage: 100,
      ordering: 'id',
      reservation_minutes: 60,
      annotator_task_limit: null,
      skip_policy: 'requeue_others',
      review_required: false,
      task_count: 0,
      created_by: t.owner.userId,
      member_role: 'manager',
    });
    expect(p.parsed_config).toEqual({
      objects: [{ name: 'text', type: 'Text', value: '$text' }],
      controls: [
        { name: 'sentiment', type: 'Choices', toName: ['text'], labels: ['Positive', 'Negative', 'Neutral'] },
      ],
      dataKeys: ['text'],
    });
    const got = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${p.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(p);
    const audit = await t.as(t.owner, { method: 'GET', url: `/api/v1/audit/logs?action=project.created` });
    expect(audit.json().items).toEqual([
      expect.objectContaining({ action: 'project.created', resource_id: String(p.id) }),
    ]);
  });

  it('takes every setting', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const p = await newProject(t, {
      title: 'NER',
      label_config: NER,
      overlap: 3,
      overlap_coverage: 40,
      ordering: 'uncertainty',
      reservation_minutes: 15,
      annotator_task_limit: 500,
      skip_policy: 'requeue_me',
      review_required: true,
    });
    expect(p).toMatchObject({
      data_keys: ['ner'],
      overlap: 3,
      overlap_coverage: 40,
      ordering: 'uncertainty',
      reservation_minutes: 15,
      annotator_task_limit: 500,
      skip_policy: 'requeue_me',
      review_required: true,
    });
  });

  it('refuses an invalid config with a 400 naming the problem', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const cases: [string, RegExp][] = [
      ['<View><Text name="t" value="$t"></View>', /not well-formed XML at line 1, column \d+/],
      ['<Text name="t" value="$t"/>', /root tag must be <View>/],
      ['<View><Text name="t" value="$t"/><Marquee/></View>', /unknown tag <Marquee>/],
      [
        '<View><Text name="t" value="$t"/><Choices name="c" toName="x"><Choice value="a"/></Choices></View>',
        /toName "x", which names no object tag/,
      ],
      [
        '<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="a"/><Choice value="a"/></Choices></View>',
        /declares the choice "a" twice/,
      ],
      [
        '<View><Text name="t" value="$t"/><Choices toName="t"><Choice value="a"/></Choices></View>',
        /<Choices> has no name/,
      ],
    ];
    for (const [label_config, detail] of cases) {
      const res = await t.as(t.owner, {
        method: 'POST',
        url: '/api/v1/projects',
        payload: { title: 'x', label_config },
      });
      expect(res.statusCode, label_config).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().detail).toMatch(detail);
      expect(res.json().errors[0].path).toBe('body/label_config');
    }
    const bad = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/projects',
      payload: { title: 'x', label_config: TEXT_CLASSIFICATION_CONFIG, overlap: 0, colour: 'red' },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('needs projects:create, and hides projects of other tenants and non-members (404)', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const other = await newTenant(ctx);
    const annotator = await t.member(['annotator']);
    const denied = await t.as(annotator, {
      method: 'POST',
      url: '/api/v1/projects',
      payload: { title: 'x', label_config: TEXT_CLASSIFICATION_CONFIG },
    });
    expect(denied.statusCode).toBe(403);
    const p = await newProject(t);
    expect((await other.as(other.owner, { method: 'GET', url: `/api/v1/projects/${p.id}` })).statusCode).toBe(
      404,
    );
    expect((await t.as(annotator, { method: 'GET', url: `/api/v1/projects/${p.id}` })).statusCode).toBe(404);
    expect((await t.as(t.owner, { method: 'GET', url: '/api/v1/projects/999999999' })).statusCode).toBe(404);
  });
});
