/**
 * Quality at scale: project agreement over BENCH_TASKS (100,000) tasks × 3 annotators, and
 * what scoring on submit adds to a submission.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/quality.ts
 *   npx tsx bench/quality.ts --pglite
 *
 * In-process platform (the job worker included) on a fresh database si_bench_<ts> of
 * DATABASE_URL's server (dropped at the end), or on an in-memory PGlite with --pglite. It
 * seeds a project (choices + spans) with 3 annotations per task in SQL, then times:
 * 1. a full agreement run (every task computed and stored), an incremental run with nothing
 *    changed, and one after 1% of the annotations changed — the service the job runs;
 * 2. the same full run end to end through POST …/agreement/runs (background) and the job;
 * 3. BENCH_SUBMITS (300) submissions through the API, alternately with and without quality's
 *    event listener (which queues the scoring job), and the scoring jobs' own run time.
 * Prints figures and whether the 10 s target holds; never fails on them.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { modules, wireModules } from '../src/modules/index.ts';
import {
  type AgreementPhases,
  computeProjectAgreement,
} from '../src/modules/quality/agreement/project-agreement.service.ts';
import { inSystem } from '../src/platform/db/tenancy.ts';
import { DomainEvents } from '../src/platform/events/index.ts';
import { startPlatform } from '../src/platform/index.ts';
import { newTenant } from '../test/fixtures.ts';
import { scratchDatabase } from './lib/database.ts';
import { Latencies } from './lib/latencies.ts';

const PGLITE = process.argv.includes('--pglite');
const TASKS = Number(process.env.BENCH_TASKS ?? 100_000);
const SUBMITS = Number(process.env.BENCH_SUBMITS ?? 300);
const CONFIG = `<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
  <Labels name="ner" toName="text"><Label value="PER"/><Label value="ORG"/></Labels>
</View>`;

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rows = <T>(r: unknown) => (r as { rows: T[] }).rows;
/** Reads and writes run beside the computation, so the phases add up to more than the run. */
const phases = (p: AgreementPhases) =>
  `reading ${secs(p.read)}, computing ${secs(p.compute)}, writing ${secs(p.write)}, computation waiting for the database ${secs(p.waiting)}`;

async function freshDatabase(): Promise<{ url?: string; drop: () => Promise<void> }> {
  if (PGLITE) return { drop: async () => {} };
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('Set DATABASE_URL, or pass --pglite');
  return scratchDatabase(base);
}

async function main() {
  const database = await freshDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-bench-quality-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    SUPERINSIGHT_SECRET_KEY: randomUUID().replaceAll('-', '').repeat(2),
    AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  });
  const platform = await startPlatform(config, pino({ level: 'warn' }), { pgliteDir: null, migrate: true });
  const app = await buildApp(platform);
  wireModules(platform);
  await platform.startJobs({ work: true });
  await app.ready();
  const ctx = { app, platform };
  try {
    console.log(`driver ${platform.database.driver}, ${TASKS.toLocaleString('en-US')} tasks × 3 annotators`);
    const t = await newTenant(ctx);
    const annotators = [t.owner, await t.member(['annotator'], 'A1'), await t.member(['annotator'], 'A2')];
    const project = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/projects',
      payload: { title: 'Bench', label_config: CONFIG, overlap: 3 },
    });
    const projectId = project.json().id as number;

    // ---------------------------------------------------------------- seed
    let started = performance.now();
    await inSystem(platform.database.db, async (tx) => {
      await tx.execute(sql`
        insert into tasks (tenant_id, project_id, data, overlap, total_annotations, is_finished, status)
        select ${t.tenantId}::uuid, ${projectId}, jsonb_build_object('text', 'Task ' || i), 3, 3, true, 'completed'
        from generate_series(1, ${TASKS}) i`);
      await tx.execute(sql`update projects set task_count = ${TASKS} where id = ${projectId}`);
      // Annotator k agrees with the task's "true" label 7 times in 10; spans shift a little.
      for (let k = 0; k < 3; k++) {
        await tx.execute(sql`
          insert into annotations (tenant_id, project_id, task_id, completed_by, result, lead_time)
          select tenant_id, project_id, id, ${annotators[k]!.userId}::uuid,
            jsonb_build_array(
              jsonb_build_object('from_name', 'sentiment', 'to_name', 'text', 'type', 'choices',
                'value', jsonb_build_object('choices', jsonb_build_array(
                  (array['Positive', 'Negative', 'Neutral'])[1 + case when (id * 31 + ${k * 17}) % 10 < 7
                    then id % 3 else (id + ${k + 1}) % 3 end]))),
              jsonb_build_object('from_name', 'ner', 'to_name', 'text', 'type', 'labels',
                'value', jsonb_build_object('start', (id * ${k + 1}) % 5, 'end', 10 + (id + ${k}) % 7,
                  'labels', jsonb_build_array('PER')))),
            20 + (id % 60)
          from tasks where project_id = ${projectId}`);
      }
      await tx.execute(sql`analyze tasks`);
      await tx.execute(sql`analyze annotations`);
    });
    console.log(
      `seeded ${(TASKS * 3).toLocaleString('en-US')} annotations in ${secs(performance.now() - started)}`,
    );

    // ---------------------------------------------------------------- agreement, service
    const scope = { tenantId: t.tenantId, userId: t.owner.userId };
    const db = platform.database.db;
    started = performance.now();
    const cpu = process.cpuUsage();
    let s = await computeProjectAgreement(db, scope, projectId, { incremental: false });
    const full = performance.now() - started;
    const used = process.cpuUsage(cpu);
    console.log(
      `agreement, full run:            ${secs(full)}  (${s.tasksRecomputed} tasks computed, mean ${s.meanScore?.toFixed(4)}, sentiment alpha ${s.controls.sentiment?.alpha.value?.toFixed(4)}, fleiss ${s.controls.sentiment?.fleiss_kappa.value?.toFixed(4)})  target < 10 s: ${full < 10_000 ? 'holds' : 'FAILS'}`,
    );
    console.log(
      `  this process's CPU during it: ${secs((used.user + used.system) / 1000)}; machine load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`,
    );
    console.log(`  phases (overlapping): ${phases(s.phases)}`);
    started = performance.now();
    s = await computeProjectAgreement(db, scope, projectId, { incremental: true });
    console.log(
      `agreement, incremental, 0% new: ${secs(performance.now() - started)}  (${s.tasksRecomputed} tasks recomputed; ${phases(s.phases)})`,
    );
    await inSystem(db, (tx) =>
      tx.execute(sql`update annotations set result = '[]'::jsonb, updated_at = now()
        where project_id = ${projectId} and task_id % 100 = 0 and completed_by = ${annotators[2]!.userId}::uuid`),
    );
    started = performance.now();
    s = await computeProjectAgreement(db, scope, projectId, { incremental: true });
    console.log(
      `agreement, incremental, 1% new: ${secs(performance.now() - started)}  (${s.tasksRecomputed} tasks recomputed; ${phases(s.phases)})`,
    );

    // ---------------------------------------------------------------- agreement, HTTP + job
    started = performance.now();
    const run = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${projectId}/agreement/runs`,
      payload: { incremental: false, background: true },
    });
    const jobId = run.json().job_id as string;
    for (;;) {
      const job = (await t.as(t.owner, { method: 'GET', url: `/api/v1/jobs/${jobId}` })).json();
      if (job.state === 'completed' || job.state === 'failed') {
        console.log(
          `agreement, full run as a job (POST to job completed, polled every 50 ms): ${secs(performance.now() - started)}  ${job.state}`,
        );
        break;
      }
      await sleep(50);
    }
    const get = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${projectId}/agreement` });
    const lat = new Latencies();
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${projectId}/agreement` });
      lat.add(performance.now() - t0);
    }
    console.log(
      `GET …/agreement (stored): ${get.statusCode}, median ${lat.percentiles(50)[0]!.toFixed(1)} ms over 20`,
    );

    // ---------------------------------------------------------------- per-submit overhead
    const small = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/projects',
      payload: { title: 'Submits', label_config: CONFIG },
    });
    const smallId = small.json().id as number;
    const taskIds = await inSystem(db, async (tx) =>
      rows<{ id: string }>(
        await tx.execute(sql`insert into tasks (tenant_id, project_id, data)
          select ${t.tenantId}::uuid, ${smallId}, jsonb_build_object('text', 'S ' || i)
          from generate_series(1, ${SUBMITS}) i returning id`),
      ).map((r) => Number(r.id)),
    );
    const withQuality = platform.events;
    const withoutQuality = new DomainEvents();
    for (const m of modules) if (m.name !== 'quality') m.subscribe?.({ ...platform, events: withoutQuality });
    const timings = { with: new Latencies(), without: new Latencies() };
    const result = [
      { from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: ['Positive'] } },
    ];
    for (let i = 0; i < taskIds.length; i++) {
      // Alternate, so that drift on a shared machine hits both alike.
      const on = i % 2 === 0;
      platform.events = on ? withQuality : withoutQuality;
      const t0 = performance.now();
      const res = await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/tasks/${taskIds[i]}/annotations`,
        payload: { result, lead_time: 12 },
      });
      (on ? timings.with : timings.without).add(performance.now() - t0);
      if (res.statusCode !== 201) throw new Error(`submit: ${res.statusCode} ${res.body}`);
    }
    platform.events = withQuality;
    const w = timings.with;
    const wo = timings.without;
    console.log(
      `submit with scoring queued:    p50 ${w.percentiles(50)[0]!.toFixed(2)} ms  p99 ${w.percentiles(99)[0]!.toFixed(2)} ms  (n=${w.count})`,
    );
    console.log(
      `submit without quality:        p50 ${wo.percentiles(50)[0]!.toFixed(2)} ms  p99 ${wo.percentiles(99)[0]!.toFixed(2)} ms  (n=${wo.count})`,
    );
    console.log(
      `per-submit overhead (p50): ${(w.percentiles(50)[0]! - wo.percentiles(50)[0]!).toFixed(2)} ms`,
    );
    const deadline = Date.now() + 120_000;
    for (;;) {
      const [left] = await inSystem(db, async (tx) =>
        rows<{ n: number }>(
          await tx.execute(sql`select count(*)::int as n from job_runs where kind = 'quality.score_task'
            and state in ('queued', 'running')`),
        ),
      );
      if (left!.n === 0 || Date.now() > deadline) break;
      await sleep(200);
    }
    const [jobs] = await inSystem(db, async (tx) =>
      rows<{ n: number; ms: number; failed: number }>(
        await tx.execute(sql`select count(*)::int as n, count(*) filter (where state = 'failed')::int as failed,
          avg(extract(epoch from finished_at - started_at) * 1000)::float8 as ms
          from job_runs where kind = 'quality.score_task'`),
      ),
    );
    console.log(
      `scoring jobs: ${jobs!.n} run (${jobs!.failed} failed), mean ${Number(jobs!.ms).toFixed(1)} ms each from start to finish`,
    );
  } finally {
    await app.close();
    await platform.close();
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
