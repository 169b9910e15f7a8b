/**
 * A monthly bill over 1,000,000 annotations on PostgreSQL.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:billing
 *
 * On a fresh database si_bench_<ts> of DATABASE_URL's server (dropped at the end) it starts
 * the server as a child (`node bin/superinsight.mjs serve`, in-process job worker), signs in
 * as the bootstrapped owner, creates BENCH_ANNOTATORS annotators and BENCH_PROJECTS projects
 * through the API, and a tenant rule with two approved versions (count mode, then hybrid
 * from the 16th: a mid-month split). It then seeds, set-based as the system role, one month
 * (March 2025) of BENCH_ANNOTATIONS tasks and annotations, one quality score per annotation
 * and the billing work they would have recorded: a submission (1 in 50 a skip) per
 * annotation, a review for 1 in 5 (1 in 4 of those a reject) and an edit for 1 in 10. It
 * times the bill's generation through the API and its job (wall time from the request to
 * the job's completion), prints work rows/s and the server's peak RSS (VmRSS sampled every
 * 100 ms), checks the bill's counts against SQL over the seeded rows, and times the xlsx
 * export. Prints figures; never fails on them.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { scratchDatabase } from './lib/database.ts';
import { type Child, startServer } from './lib/proc.ts';

const ANNOTATIONS = Number(process.env.BENCH_ANNOTATIONS ?? 1_000_000);
const ANNOTATORS = Number(process.env.BENCH_ANNOTATORS ?? 200);
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 5);
const ADMIN_EMAIL = 'bench-admin@superinsight.local';
const ADMIN_PASSWORD = `Bench-${randomUUID()}`;
const CONFIG = `<View><Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>`;

// biome-ignore lint/suspicious/noExplicitAny: the bench reads API answers loosely.
type Json = Record<string, any>;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const n = (v: number) => v.toLocaleString('en-US');

function rss(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

class Api {
  constructor(
    readonly base: string,
    public token = '',
  ) {}
  async call(method: string, url: string, body?: unknown, token = this.token) {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
  }
  async ok(method: string, url: string, body?: unknown, token?: string): Promise<Json> {
    const res = await this.call(method, url, body, token);
    const text = res.body.toString('utf8');
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : {};
  }
}

function report(label: string, value: string): void {
  console.log(`  ${label.padEnd(56)} ${value}`);
}

async function timedSql(client: pg.Client, label: string, text: string, values: unknown[] = []) {
  const started = performance.now();
  const res = await client.query(text, values);
  report(
    `setup: ${label}`,
    `${n(res.rowCount ?? 0)} rows, ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

/** Tasks, annotations, quality scores and work records of March 2025, set-based. */
async function seed(databaseUrl: string, tenantId: string, projectIds: number[], userIds: string[]) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const projects = `{${projectIds.join(',')}}`;
    const users = `{${userIds.join(',')}}`;
    await client.query(
      'create temporary table bench_ann (i int primary key, task_id bigint, annotation_id bigint)',
    );
    await timedSql(
      client,
      'tasks',
      `insert into tasks (tenant_id, project_id, data, total_annotations, is_finished, status)
       select $1::uuid, ($2::bigint[])[1 + g % $3], jsonb_build_object('text', 'task ' || g), 1, true, 'completed'
       from generate_series(0, $4 - 1) g`,
      [tenantId, projects, projectIds.length, ANNOTATIONS],
    );
    await client.query(
      `insert into bench_ann (i, task_id)
       select (row_number() over (order by id) - 1)::int, id from tasks where tenant_id = $1`,
      [tenantId],
    );
    await timedSql(
      client,
      'annotations',
      `with a as (
         insert into annotations (tenant_id, project_id, task_id, completed_by, result, lead_time, was_cancelled)
         select $1::uuid, t.project_id, t.id, ($2::uuid[])[1 + (b.i / ${PROJECTS}) % $3], '[]'::jsonb, 20 + b.i % 100, b.i % 50 = 0
         from bench_ann b join tasks t on t.id = b.task_id
         returning id, task_id)
       update bench_ann b set annotation_id = a.id from a where a.task_id = b.task_id`,
      [tenantId, users, userIds.length],
    );
    await timedSql(
      client,
      'quality scores (one per annotation)',
      `insert into quality_scores (tenant_id, project_id, scope, annotation_id, user_id, total)
       select a.tenant_id, a.project_id, 'annotation', a.id, a.completed_by, 0.55 + (a.id % 45) / 100.0
       from annotations a where a.tenant_id = $1 and not a.was_cancelled`,
      [tenantId],
    );
    // Submissions spread over the month; 1 in 5 reviewed a day later (1 in 4 of those
    // rejected); 1 in 10 edited two days later with 30 s more lead time.
    await timedSql(
      client,
      'work records',
      `insert into billing_work_records (tenant_id, project_id, task_id, annotation_id, user_id, kind, units,
         lead_time, billable_seconds, was_cancelled, review_status, occurred_at)
       select a.tenant_id, a.project_id, a.task_id, a.id, a.completed_by, k.kind, k.units, k.lead, k.secs,
         a.was_cancelled, k.review,
         timestamptz '2025-03-01T00:00:00Z' + (b.i::bigint * 2419200 / ${ANNOTATIONS}) * interval '1 second' + k.delay
       from bench_ann b join annotations a on a.id = b.annotation_id
       cross join lateral (values
         (case when a.was_cancelled then 'skipped' else 'submitted' end, 1, a.lead_time::numeric,
           a.lead_time::numeric, null::text, interval '0', true),
         ('reviewed', 0, a.lead_time::numeric, 0::numeric,
           case when b.i % 20 = 5 then 'rejected' else 'approved' end, interval '1 day',
           b.i % 5 = 0 and not a.was_cancelled),
         ('updated', 0, a.lead_time::numeric + 30, 30::numeric, null, interval '2 days',
           b.i % 10 = 3 and not a.was_cancelled)
       ) as k(kind, units, lead, secs, review, delay, keep)
       where k.keep`,
    );
    const started = performance.now();
    await client.query('analyze tasks, annotations, quality_scores, billing_work_records');
    report('setup: analyze', `${((performance.now() - started) / 1000).toFixed(1)} s`);
    const { rows } = await client.query(
      `select count(*)::int as rows, sum(units)::int as submitted
       from billing_work_records where tenant_id = $1`,
      [tenantId],
    );
    return rows[0] as { rows: number; submitted: number };
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL || undefined;
  if (!serverUrl) {
    console.error('bench/billing.ts needs DATABASE_URL (a PostgreSQL server).');
    process.exitCode = 2;
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-bench-billing-'));
  const scratch = await scratchDatabase(serverUrl);
  const databaseUrl = scratch.url;
  let server: Child | undefined;
  try {
    let base: string;
    ({ server, base } = await startServer({
      dataDir,
      databaseUrl,
      env: {
        SUPERINSIGHT_ADMIN_EMAIL: ADMIN_EMAIL,
        SUPERINSIGHT_ADMIN_PASSWORD: ADMIN_PASSWORD,
        AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      },
    }));
    const pid = server.process.pid!;
    const api = new Api(base);
    const login = await api.ok(
      'POST',
      '/api/v1/auth/login',
      { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      '',
    );
    api.token = login.token;
    const cpus = os.cpus();
    console.log(`bench/billing.ts  ${new Date().toISOString()}`);
    console.log(
      `node ${process.version}, ${cpus.length} CPU(s) (${cpus[0]?.model.trim()}), ${mb(os.totalmem())} RAM, PostgreSQL; ` +
        `${n(ANNOTATIONS)} annotations, ${ANNOTATORS} annotators, ${PROJECTS} projects; load average ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}\n`,
    );

    const projectIds: number[] = [];
    for (let i = 0; i < PROJECTS; i++)
      projectIds.push(
        (await api.ok('POST', '/api/v1/projects', { title: `Bench ${i}`, label_config: CONFIG })).id,
      );
    await api.ok('PUT', `/api/v1/billing/projects/${projectIds[0]}/settings`, { difficulty: 'hard' });
    const password = `Annotator-${randomUUID()}`;
    const userIds: string[] = [];
    for (let i = 0; i < ANNOTATORS; i++) {
      const user = await api.ok('POST', '/api/v1/users', {
        email: `bench-${i}-${randomUUID().slice(0, 6)}@superinsight.local`,
        name: `Annotator ${i}`,
        password,
        roles: ['annotator'],
      });
      userIds.push(user.user.id);
    }
    const approverEmail = `bench-approver-${randomUUID().slice(0, 6)}@superinsight.local`;
    await api.ok('POST', '/api/v1/users', {
      email: approverEmail,
      name: 'Approver',
      password,
      roles: ['admin'],
    });
    const approverToken = (
      await api.ok('POST', '/api/v1/auth/login', { email: approverEmail, password, tenant: 'default' }, '')
    ).token;
    const rule = await api.ok('POST', '/api/v1/billing/rules', { name: 'Bench rates' });
    for (const body of [
      { mode: 'count', count_rate: '0.10', effective_from: '2025-01-01T00:00:00Z' },
      { mode: 'hybrid', count_rate: '0.08', hour_rate: '45.00', effective_from: '2025-03-16T00:00:00Z' },
    ]) {
      const v = await api.ok('POST', `/api/v1/billing/rules/${rule.id}/versions`, body);
      await api.ok('POST', `/api/v1/billing/rule-versions/${v.id}/approve`, undefined, approverToken);
    }

    const seeded = await seed(databaseUrl, login.tenant.id, projectIds, userIds);
    console.log('');

    let peak = rss(pid);
    const idle = peak;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rss(pid));
    }, 100);
    const started = performance.now();
    const out = await api.ok('POST', '/api/v1/billing/bills', { period: '2025-03' });
    let job: Json;
    for (;;) {
      job = await api.ok('GET', `/api/v1/jobs/${out.job_id}`);
      if (['completed', 'failed', 'cancelled'].includes(job.state)) break;
      await sleep(100);
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, rss(pid));
    if (job.state !== 'completed') throw new Error(`bill job ${job.state}: ${job.error}`);
    const bill = await api.ok('GET', `/api/v1/billing/bills/${out.bill.id}`);

    let accepted = 0;
    let paid = 0;
    let lines = 0;
    let cursor: string | null = null;
    do {
      const page: Json = await api.ok(
        'GET',
        `/api/v1/billing/records?bill_id=${bill.id}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      for (const l of page.items) {
        accepted += l.accepted_count;
        paid += l.paid_count;
        lines++;
      }
      cursor = page.next_cursor;
    } while (cursor);
    // Accepted = submissions whose latest state in the month is not skipped nor rejected.
    const check = new pg.Client({ connectionString: databaseUrl });
    await check.connect();
    const { rows } = await check.query(
      `select count(*)::int as n from (
         select distinct on (annotation_id) annotation_id, was_cancelled, review_status
         from billing_work_records order by annotation_id, occurred_at desc, id desc) s
       where not was_cancelled and review_status is distinct from 'rejected'`,
    );
    await check.end();

    report(`work rows (${n(seeded.submitted)} submissions and skips, reviews, edits)`, n(seeded.rows));
    report('bill generation through the API and job: wall time', `${seconds.toFixed(1)} s`);
    report('  rate', `${n(Math.round(seeded.rows / seconds))} work rows/s`);
    report('  server RSS: idle before / peak during', `${mb(idle)} / ${mb(peak)}`);
    report(
      '  bill',
      `${n(lines)} lines, total ${bill.total} ${bill.currency}, rule versions ${bill.rule_version_ids.join(', ')}`,
    );
    report(
      '  accepted annotations in the bill / by SQL',
      `${n(accepted)} / ${n(rows[0].n)} (paid ${n(paid)})`,
    );

    const xStarted = performance.now();
    const xlsx = await api.call('GET', `/api/v1/billing/bills/${bill.id}/export?format=xlsx`);
    report(
      'xlsx export of the bill',
      `${xlsx.status}, ${(xlsx.body.length / 1024).toFixed(0)} KB in ${((performance.now() - xStarted) / 1000).toFixed(1)} s`,
    );
    console.log('\nTarget (reported, never enforced):');
    console.log(
      `  bill of ${n(ANNOTATIONS)} annotations in ${seconds.toFixed(1)} s < 60 s: ${seconds < 60 ? 'holds' : 'FAILS'}`,
    );
  } finally {
    await server?.stop();
    await scratch.drop().catch((err) => console.error(`drop: ${err}`));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
