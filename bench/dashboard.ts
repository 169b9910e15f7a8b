/**
 * The dashboard aggregates (GET /api/v1/dashboard) over a tenant with many tasks.
 *
 *   npx tsx bench/dashboard.ts                       # embedded PGlite, in memory
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/dashboard.ts
 *
 * With DATABASE_URL it works in a fresh database si_bench_<ts> of that server, dropped at
 * the end. Seeds BENCH_TASKS tasks (100,000) spread over the last 400 days, one annotation
 * for four tasks in five (those tasks finished), a skip for one in twenty and a review
 * record for one annotation in ten, all by SQL; then asks the dashboard, in process
 * (app.inject), for the last 7, 30 and 366 days, BENCH_SAMPLES times each, and prints the
 * median and the slowest answer, and the 366-day median as a ratio of the 7-day one.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createTenant, joinAsOwner } from '../src/modules/identity/tenants/tenants.service.ts';
import { hashPassword } from '../src/platform/auth/passwords.ts';
import { users } from '../src/platform/auth/schema.ts';
import { inSystem } from '../src/platform/db/tenancy.ts';
import { startPlatform } from '../src/platform/index.ts';
import { scratchDatabase } from './lib/database.ts';

const TASKS = Number(process.env.BENCH_TASKS ?? 100_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 10);
const PASSWORD = `Bench-${randomUUID()}`;
const CONFIG = `<View><Text name="text" value="$text"/><Choices name="s" toName="text"><Choice value="A"/></Choices></View>`;

const base = process.env.DATABASE_URL;
const fresh = base ? await scratchDatabase(base) : undefined;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-bench-dashboard-'));
const config = loadConfig({
  DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  SUPERINSIGHT_IN_PROCESS_WORKER: 'false',
  ...(fresh ? { DATABASE_URL: fresh.url } : {}),
});
const platform = await startPlatform(config, pino({ level: 'warn' }), { pgliteDir: null, migrate: true });
const app = await buildApp(platform);
await app.ready();
const db = platform.database.db;

const slug = `bench-${randomUUID().slice(0, 8)}`;
const email = `owner@${slug}.test`;
const passwordHash = await hashPassword(PASSWORD);
const { tenantId, userId } = await inSystem(db, async (tx) => {
  const tenant = await createTenant(tx, { slug, name: 'Bench' });
  const id = randomUUID();
  await tx.insert(users).values({ id, email, name: 'Owner', passwordHash });
  await joinAsOwner(tx, tenant.id, id);
  return { tenantId: tenant.id, userId: id };
});
const login = await app.inject({
  method: 'POST',
  url: '/api/v1/auth/login',
  payload: { email, password: PASSWORD },
});
const token = login.json().token as string;
const auth = { authorization: `Bearer ${token}` };
const project = await app.inject({
  method: 'POST',
  url: '/api/v1/projects',
  headers: auth,
  payload: { title: 'Bench', label_config: CONFIG },
});
const projectId = project.json().id as number;

let started = performance.now();
await inSystem(db, async (tx) => {
  await tx.execute(sql`
    insert into tasks (tenant_id, project_id, data, is_finished, status, created_at)
    select ${tenantId}::uuid, ${projectId}::bigint, jsonb_build_object('text', 'task ' || g), g % 5 <> 0,
           case when g % 5 <> 0 then 'completed' else 'pending' end,
           now() - (g % 400) * interval '1 day' - (g % 1440) * interval '1 minute'
    from generate_series(1, ${TASKS}::int) g`);
  await tx.execute(sql`update projects set task_count = ${TASKS}::int where id = ${projectId}`);
  await tx.execute(sql`
    insert into annotations (tenant_id, project_id, task_id, completed_by, result, lead_time, created_at)
    select tenant_id, project_id, id, ${userId}::uuid, '[]'::jsonb, 5, created_at + interval '1 hour'
    from tasks where project_id = ${projectId} and is_finished`);
  await tx.execute(sql`
    insert into annotations (tenant_id, project_id, task_id, completed_by, was_cancelled, created_at)
    select tenant_id, project_id, id, ${userId}::uuid, true, created_at + interval '2 hours'
    from tasks where project_id = ${projectId} and id % 20 = 0`);
  await tx.execute(sql`
    insert into review_records (tenant_id, project_id, task_id, annotation_id, reviewer_id, status, created_at)
    select tenant_id, project_id, task_id, id, ${userId}::uuid,
           case when id % 3 = 0 then 'rejected' else 'approved' end, created_at + interval '1 day'
    from annotations where project_id = ${projectId} and not was_cancelled and id % 10 = 0`);
  await tx.execute(sql`analyze tasks`);
  await tx.execute(sql`analyze annotations`);
  await tx.execute(sql`analyze review_records`);
});
console.log(
  `driver ${platform.database.driver}: seeded ${TASKS.toLocaleString('en-US')} tasks in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

const medians: Record<number, number> = {};
for (const days of [7, 30, 366]) {
  const to = new Date();
  const from = new Date(to.getTime() - days * 86_400_000);
  const url = `/api/v1/dashboard?from=${from.toISOString()}&to=${to.toISOString()}`;
  const times: number[] = [];
  let body: { days: { tasks_created: number }[] } | undefined;
  for (let i = 0; i < SAMPLES + 1; i++) {
    started = performance.now();
    const res = await app.inject({ method: 'GET', url, headers: auth });
    const ms = performance.now() - started;
    if (res.statusCode !== 200) throw new Error(`dashboard: ${res.statusCode} ${res.body}`);
    body = res.json();
    if (i > 0) times.push(ms); // the first answer warms caches and plans
  }
  times.sort((a, b) => a - b);
  medians[days] = times[Math.floor(times.length / 2)]!;
  const created = body!.days.reduce((n, d) => n + d.tasks_created, 0);
  console.log(
    `last ${String(days).padStart(3)} days: median ${medians[days]!.toFixed(1)} ms, slowest ${times.at(-1)!.toFixed(1)} ms (${body!.days.length} days, ${created.toLocaleString('en-US')} tasks created)`,
  );
}
console.log(`366-day median / 7-day median: ${(medians[366]! / medians[7]!).toFixed(2)}`);

await app.close();
await platform.close();
await fresh?.drop();
fs.rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
