/**
 * The data manager's search at scale (issue 26).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/search.ts
 *   npx tsx bench/search.ts --pglite
 *
 * Imports BENCH_TASKS tasks (1,000,000 on PostgreSQL, 100,000 on PGlite) through the API
 * twice in one run: first with the search indexes dropped, then (after creating them again)
 * with them, so the two import rates compare. One task in ten is Chinese; one in 10,000
 * holds a rare word; one in 100 carries an annotation. Then times the first page (50 tasks)
 * of a selective substring, a frequent full-text word, a term with no match, a Chinese
 * word and a label search: BENCH_SAMPLES requests each, one at a time; the first of each
 * (which counts the filtered total) is reported apart. Prints figures and whether the
 * targets hold; never fails on them.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import pg from 'pg';
import { encodeCursor } from '../src/platform/db/pagination.ts';
import { Api, upload, waitJob } from './lib/api.ts';
import { scratchDatabase } from './lib/database.ts';
import { Latencies } from './lib/latencies.ts';
import { type Child, startServer } from './lib/proc.ts';

const PGLITE = process.argv.includes('--pglite');
const TASKS = Number(process.env.BENCH_TASKS ?? (PGLITE ? 100_000 : 1_000_000));
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 50);
const ADMIN_EMAIL = 'bench-admin@superinsight.local';
const ADMIN_PASSWORD = `Bench-${randomUUID()}`;
const CONFIG = `<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
</View>`;

const INDEXES = {
  drop: ['drop index tasks_search_text_trgm_idx', 'drop index tasks_search_doc_idx'],
  create: [
    'create index tasks_search_text_trgm_idx on tasks using gin (search_text gin_trgm_ops)',
    'create index tasks_search_doc_idx on tasks using gin (search_doc)',
  ],
};

const ENGLISH = [
  'annotation',
  'quality',
  'reviewer',
  'dataset',
  'label',
  'model',
  'training',
  'sample',
  'the',
];
const CHINESE = ['我们', '在', '北京大学', '学习', '自然语言', '处理', '标注', '平台', '数据', '质量'];

/** ~150 bytes of text, different per task; every 10th Chinese, every 10,000th with the rare word. */
function taskOf(i: number): Record<string, unknown> {
  let x = (i * 2654435761) >>> 0;
  const pick = (words: string[]) => {
    x = (x * 1103515245 + 12345) >>> 0;
    return words[x % words.length]!;
  };
  const zh = i % 10 === 3;
  let text = zh ? `任务${i}：` : `Task ${i}:`;
  while (text.length < (zh ? 50 : 140)) text += zh ? pick(CHINESE) : ` ${pick(ENGLISH)}`;
  if (i % 10_000 === 7) text += ' zebracorn';
  const task: Record<string, unknown> = { data: { text, meta: { source: `source-${i % 100}` } } };
  if (i % 100 === 1)
    task.annotations = [
      {
        result: [
          {
            from_name: 'sentiment',
            to_name: 'text',
            type: 'choices',
            value: { choices: [i % 200 === 1 ? 'Neutral' : 'Positive'] },
          },
        ],
      },
    ];
  return task;
}

async function writeTasks(file: string): Promise<void> {
  const out = fs.createWriteStream(file);
  for (let i = 0; i < TASKS; i++) {
    if (!out.write(`${JSON.stringify(taskOf(i))}\n`))
      await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await new Promise<void>((r) => out.once('finish', () => r()));
}

const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString('en-US')} tasks/s`;
const ms = (v: number) => `${v.toFixed(1)} ms`;
function report(label: string, value: string): void {
  console.log(`  ${label.padEnd(56)} ${value}`);
}

interface Run {
  server: Child;
  api: Api;
}

async function start(dataDir: string, databaseUrl: string | undefined, token?: string): Promise<Run> {
  const { server, base } = await startServer({
    dataDir,
    databaseUrl,
    env: {
      SUPERINSIGHT_ADMIN_EMAIL: ADMIN_EMAIL,
      SUPERINSIGHT_ADMIN_PASSWORD: ADMIN_PASSWORD,
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    },
  });
  const api = new Api(base, token);
  if (!token)
    api.token = (
      await api.ok('POST', '/api/v1/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, '')
    ).token;
  return { server, api };
}

/**
 * Runs statements as the database owner: on PostgreSQL beside the server; on PGlite (one
 * process owns the directory) with the server stopped and started again after.
 */
async function asOwner(
  run: Run,
  dataDir: string,
  databaseUrl: string | undefined,
  work: (exec: (statement: string) => Promise<void>) => Promise<void>,
): Promise<Run> {
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await work(async (s) => {
        await client.query(s);
      });
    } finally {
      await client.end();
    }
    return run;
  }
  await run.server.stop();
  const db = new PGlite({ dataDir: path.join(dataDir, 'pg'), extensions: { pg_trgm } });
  await db.waitReady;
  await work(async (s) => {
    await db.exec(s);
  });
  await db.close();
  return start(dataDir, undefined, run.api.token);
}

const runAll = (statements: string[]) => async (exec: (s: string) => Promise<void>) => {
  for (const s of [...statements, 'analyze tasks']) await exec(s);
};

/** Tasks copied per variant when timing what each search column and index costs an insert. */
const COPY_SAMPLE = Math.min(TASKS, 50_000);

/**
 * What each part of the search costs an insert, apart: the project's first COPY_SAMPLE
 * tasks copied (INSERT ... SELECT) into an empty copy of the tasks table, without the
 * search columns, with them computed (generated), and with each index and both.
 */
async function costOfEachIndex(exec: (s: string) => Promise<void>, projectId: number): Promise<void> {
  const variants: [string, string[]][] = [
    [
      'no search columns (plain columns, left null)',
      ['create table bench_copy (like tasks including defaults)'],
    ],
    [
      'search columns computed, no search index',
      ['create table bench_copy (like tasks including defaults including generated)'],
    ],
    [
      'computed, trigram index (search_text)',
      [
        'create table bench_copy (like tasks including defaults including generated)',
        'create index on bench_copy using gin (search_text gin_trgm_ops)',
      ],
    ],
    [
      'computed, full-text index (search_doc)',
      [
        'create table bench_copy (like tasks including defaults including generated)',
        'create index on bench_copy using gin (search_doc)',
      ],
    ],
    [
      'computed, both indexes',
      [
        'create table bench_copy (like tasks including defaults including generated)',
        'create index on bench_copy using gin (search_text gin_trgm_ops)',
        'create index on bench_copy using gin (search_doc)',
      ],
    ],
  ];
  let base = 0;
  for (const [label, setup] of variants) {
    await exec('drop table if exists bench_copy');
    for (const s of setup) await exec(s);
    const t0 = performance.now();
    await exec(`insert into bench_copy (id, tenant_id, project_id, data, meta, search_words)
      select id, tenant_id, project_id, data, meta, search_words from tasks
      where project_id = ${projectId} order by id limit ${COPY_SAMPLE}`);
    const took = performance.now() - t0;
    base ||= took;
    report(`  ${label}`, `${ms(took)} (${(took / base).toFixed(2)}x)`);
  }
  await exec('drop table bench_copy');
}

async function importInto(api: Api, file: string, label: string): Promise<{ id: number; seconds: number }> {
  const project = await api.ok('POST', '/api/v1/projects', {
    title: `Search ${label}`,
    label_config: CONFIG,
  });
  const started = performance.now();
  const { job_id } = await upload(api, `/api/v1/projects/${project.id}/import`, file);
  const job = await waitJob(api, job_id);
  const seconds = (performance.now() - started) / 1000;
  if (job.state !== 'completed') throw new Error(`import job ${job.state}: ${job.error}`);
  report(`import ${label}`, `${seconds.toFixed(1)} s, ${rate(TASKS, seconds)}`);
  return { id: project.id, seconds };
}

async function timePage(api: Api, projectId: number, label: string, query: Record<string, string>) {
  const url = `/api/v1/projects/${projectId}/tasks?${new URLSearchParams({ limit: '50', ...query })}`;
  const lat = new Latencies();
  let first = 0;
  let found = 0;
  let total: number | null = 0;
  for (let i = 0; i <= SAMPLES; i++) {
    const t0 = performance.now();
    const body = await api.ok('GET', url);
    const took = performance.now() - t0;
    if (i === 0) {
      first = took;
      found = body.items.length;
      total = body.total;
    } else lat.add(took);
  }
  const [p50, p99] = lat.percentiles(50, 99);
  // A costly total is counted by a job; the first request answers without it.
  const all = total === null ? 'total counted in the background' : `${total.toLocaleString('en-US')} in all`;
  report(
    `${label} (${found} on the page, ${all})`,
    `p50 ${ms(p50!)}, p99 ${ms(p99!)}; first (counts) ${ms(first)}`,
  );
  return p99!;
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL || undefined;
  if (!PGLITE && !serverUrl) {
    console.error('bench/search.ts needs DATABASE_URL (PostgreSQL), or --pglite for the embedded database.');
    process.exitCode = 2;
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-bench-search-'));
  let run: Run | undefined;
  let scratch: Awaited<ReturnType<typeof scratchDatabase>> | undefined;
  try {
    if (!PGLITE) scratch = await scratchDatabase(serverUrl!);
    const databaseUrl = scratch?.url;
    run = await start(dataDir, databaseUrl);
    const cpus = os.cpus();
    console.log(`bench/search.ts  ${new Date().toISOString()}`);
    console.log(
      `node ${process.version}, ${cpus.length} CPU(s), driver ${PGLITE ? 'PGlite' : 'PostgreSQL'}; ${TASKS.toLocaleString('en-US')} tasks per import; load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    );
    const file = path.join(dataDir, 'tasks.jsonl');
    await writeTasks(file);
    report('generated tasks.jsonl', `${(fs.statSync(file).size / 1024 / 1024).toFixed(0)} MB`);

    run = await asOwner(run, dataDir, databaseUrl, runAll(INDEXES.drop));
    const without = await importInto(run.api, file, 'without the search indexes');
    const t0 = performance.now();
    run = await asOwner(run, dataDir, databaseUrl, runAll(INDEXES.create));
    report(
      'creating the search indexes over the first import',
      `${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const withIdx = await importInto(run.api, file, 'with the search indexes');
    const cost = 1 - without.seconds / withIdx.seconds;
    report('rate lost to the indexes', `${(cost * 100).toFixed(0)}%`);
    fs.rmSync(file, { force: true });

    const p = withIdx.id;
    // A cursor halfway through the second project's tasks (ids are drawn in import order).
    const [firstTask] = (await run.api.ok('GET', `/api/v1/projects/${p}/tasks?limit=1`)).items;
    const middle = encodeCursor([firstTask.id + Math.floor(TASKS / 2)]);
    const p99s = [
      await timePage(run.api, p, 'substring, selective (zebracorn)', { search: 'zebracorn' }),
      await timePage(run.api, p, 'substring, frequent (quality)', { search: 'quality' }),
      await timePage(run.api, p, 'full-text, selective (zebracorn)', { q: 'zebracorn' }),
      await timePage(run.api, p, 'full-text, frequent (quality)', { q: 'quality' }),
      await timePage(run.api, p, 'full-text, phrase and exclusion', { q: '"quality reviewer" -dataset' }),
      await timePage(run.api, p, 'no match (substring)', { search: 'qqxyzzy' }),
      await timePage(run.api, p, 'no match (full-text)', { q: 'qqxyzzy' }),
      await timePage(run.api, p, 'Chinese word (full-text 北京大学)', { q: '北京大学' }),
      await timePage(run.api, p, 'Chinese substring (自然语言)', { search: '自然语言' }),
      await timePage(run.api, p, 'label search (Neutral)', { label: 'Neutral' }),
      await timePage(run.api, p, 'label search with a filter (Neutral, annotated)', {
        label: 'Neutral',
        annotated: 'true',
      }),
      await timePage(run.api, p, 'substring, frequent, deep page (cursor halfway)', {
        search: 'quality',
        cursor: middle,
      }),
    ];
    console.log('\nThe data manager without a search, for comparison:');
    const others = [
      await timePage(run.api, p, 'no filter', {}),
      await timePage(run.api, p, 'no filter, deep page', { cursor: middle }),
      await timePage(run.api, p, 'status filter (completed, 1%)', { status: 'completed' }),
      await timePage(run.api, p, 'status filter (pending, 99%)', { status: 'pending' }),
      await timePage(run.api, p, 'status filter (completed), deep page', {
        status: 'completed',
        cursor: middle,
      }),
      await timePage(run.api, p, 'annotated', { annotated: 'true' }),
    ];
    console.log(
      `\nInserting ${COPY_SAMPLE.toLocaleString('en-US')} tasks into an empty copy of the table (what each part costs):`,
    );
    run = await asOwner(run, dataDir, databaseUrl, (exec) => costOfEachIndex(exec, p));
    console.log('\nTargets (reported, never enforced):');
    const worst = Math.max(...p99s);
    console.log(`  every search page p99 < 100 ms (worst ${ms(worst)}): ${worst < 100 ? 'holds' : 'FAILS'}`);
    const worstOther = Math.max(...others);
    console.log(
      `  every other data-manager page p99 < 100 ms (worst ${ms(worstOther)}): ${worstOther < 100 ? 'holds' : 'FAILS'}`,
    );
    console.log(
      `  the indexes cost <= 20% of the import rate (${(cost * 100).toFixed(0)}%): ${cost <= 0.2 ? 'holds' : 'FAILS'}`,
    );
  } catch (err) {
    if (run && run.server.process.exitCode !== null) console.error(`server output:\n${run.server.output()}`);
    throw err;
  } finally {
    await run?.server.stop();
    if (process.env.BENCH_KEEP) console.log(`kept ${scratch?.url}`);
    else await scratch?.drop().catch((err) => console.error(`could not drop the bench database: ${err}`));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
