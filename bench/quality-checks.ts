/**
 * Per-submit cost of quality checks: the latency of submitting an annotation to a project
 * with no rules against one with enabled rules (the "basic" and "nlp" templates plus a
 * JSONata rule, 8 rules), in one run, submissions interleaved so both see the same machine.
 * The submit only enqueues the check; the check job runs in the same process meanwhile,
 * so its CPU competes with the submits as it would in `serve`. Also prints how long the
 * queued checks took to drain.
 *
 *   npx tsx bench/quality-checks.ts                                    # embedded PGlite (in memory)
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/quality-checks.ts
 *
 * With DATABASE_URL it works in a fresh database si_bench_<time> of that server, dropped at
 * the end. BENCH_SUBMITS (300) submissions per project. Prints figures; never fails on them.
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
import { wireModules } from '../src/modules/index.ts';
import { hashPassword } from '../src/platform/auth/passwords.ts';
import { users } from '../src/platform/auth/schema.ts';
import { inSystem } from '../src/platform/db/tenancy.ts';
import { startPlatform } from '../src/platform/index.ts';
import { scratchDatabase } from './lib/database.ts';

const SUBMITS = Number(process.env.BENCH_SUBMITS ?? 300);
const WARMUP = 20;
const CONFIG = `<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
</View>`;
const result = (i: number) => [
  {
    from_name: 'sentiment',
    to_name: 'text',
    type: 'choices',
    value: { choices: [i % 3 ? 'Positive' : 'Neutral'] },
  },
];

const pct = (sorted: number[], p: number) => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main() {
  const scratch = process.env.DATABASE_URL ? await scratchDatabase(process.env.DATABASE_URL) : undefined;
  const databaseUrl = scratch?.url;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-bench-quality-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(process.env.REDIS_URL
      ? { REDIS_URL: process.env.REDIS_URL, REDIS_KEY_PREFIX: `si-bench-${Date.now()}:` }
      : {}),
  });
  const platform = await startPlatform(config, pino({ level: 'warn' }), { pgliteDir: null, migrate: true });
  const app = await buildApp(platform);
  wireModules(platform);
  await platform.startJobs({ work: true });
  await app.ready();
  try {
    const email = `bench-${randomUUID().slice(0, 8)}@bench.test`;
    const password = `Bench-${randomUUID()}`;
    const passwordHash = await hashPassword(password);
    const tenantId = await inSystem(platform.database.db, async (tx) => {
      const tenant = await createTenant(tx, { slug: `bench-${randomUUID().slice(0, 8)}`, name: 'Bench' });
      const userId = randomUUID();
      await tx.insert(users).values({ id: userId, email, name: 'Bench', passwordHash });
      await joinAsOwner(tx, tenant.id, userId);
      return tenant.id;
    });
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password },
    });
    const token = login.json().token as string;
    const call = (method: string, url: string, payload?: object) =>
      app.inject({ method: method as 'POST', url, payload, headers: { authorization: `Bearer ${token}` } });

    const project = async (title: string) => {
      const res = await call('POST', '/api/v1/projects', { title, label_config: CONFIG });
      const id = res.json().id as number;
      await inSystem(platform.database.db, (tx) =>
        tx.execute(sql`insert into tasks (tenant_id, project_id, data)
          select ${tenantId}::uuid, ${id}, jsonb_build_object('text', 'task ' || g)
          from generate_series(1, ${SUBMITS + WARMUP}) g`),
      );
      const rows = await inSystem(platform.database.db, (tx) =>
        tx.execute(sql`select id from tasks where project_id = ${id} order by id`),
      );
      return { id, tasks: (rows as unknown as { rows: { id: number }[] }).rows.map((r) => Number(r.id)) };
    };
    const plain = await project('No rules');
    const checked = await project('With rules');
    for (const name of ['basic', 'nlp'])
      await call('POST', `/api/v1/projects/${checked.id}/quality/rule-templates/${name}/apply`);
    await call('POST', `/api/v1/projects/${checked.id}/quality/rules`, {
      name: 'Positive only',
      type: 'expression',
      config: { expression: "annotation.result.value.choices[0] = 'Positive'" },
    });
    const rules = (await call('GET', `/api/v1/projects/${checked.id}/quality/rules`)).json().items.length;

    const submit = async (taskId: number, i: number) => {
      const t0 = process.hrtime.bigint();
      const res = await call('POST', `/api/v1/tasks/${taskId}/annotations`, {
        result: result(i),
        lead_time: 5,
      });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (res.statusCode !== 201) throw new Error(`submit ${res.statusCode} ${res.body}`);
      return ms;
    };
    for (let i = 0; i < WARMUP; i++) {
      await submit(plain.tasks[i]!, i);
      await submit(checked.tasks[i]!, i);
    }
    const without: number[] = [];
    const withRules: number[] = [];
    const started = Date.now();
    for (let i = WARMUP; i < WARMUP + SUBMITS; i++) {
      // Alternate which goes first, so neither always follows the other's enqueue.
      if (i % 2) {
        without.push(await submit(plain.tasks[i]!, i));
        withRules.push(await submit(checked.tasks[i]!, i));
      } else {
        withRules.push(await submit(checked.tasks[i]!, i));
        without.push(await submit(plain.tasks[i]!, i));
      }
    }
    const submitEnd = Date.now();
    // The queued checks drain (submits share jobs that had not started): wait until every
    // annotation of the checked project has its results.
    const total = WARMUP + SUBMITS;
    let done = 0;
    while (Date.now() - submitEnd < 600_000) {
      const r = await inSystem(platform.database.db, (tx) =>
        tx.execute(sql`select count(distinct annotation_id)::int as n from quality_check_results
          where project_id = ${checked.id}`),
      );
      done = (r as unknown as { rows: { n: number }[] }).rows[0]!.n;
      if (done >= total) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const drained = Date.now();
    const counts = await inSystem(platform.database.db, (tx) =>
      tx.execute(sql`select
        (select count(*)::int from quality_check_results where project_id = ${checked.id}) as results,
        (select count(*)::int from quality_issues where project_id = ${checked.id}) as issues,
        (select count(*)::int from job_runs where tenant_id = ${tenantId} and kind = 'quality.check') as jobs`),
    );
    const c = (counts as unknown as { rows: Record<string, number>[] }).rows[0]!;

    const a = [...without].sort((x, y) => x - y);
    const b = [...withRules].sort((x, y) => x - y);
    const driver = databaseUrl ? 'PostgreSQL' : 'PGlite';
    console.log(
      `quality checks per submit (${driver}, ${SUBMITS} submits per project, interleaved, in-process app.inject)`,
    );
    console.log(`  rules enabled in the checked project: ${rules}; the other project has none`);
    const line = (name: string, s: number[], xs: number[]) =>
      `  ${name.padEnd(16)} mean ${mean(xs).toFixed(2)} ms  p50 ${pct(s, 50).toFixed(2)} ms  p90 ${pct(s, 90).toFixed(2)} ms  p99 ${pct(s, 99).toFixed(2)} ms`;
    console.log(line('without rules', a, without));
    console.log(line(`with ${rules} rules`, b, withRules));
    console.log(
      `  ratio with/without: mean ${(mean(withRules) / mean(without)).toFixed(2)}  p50 ${(pct(b, 50) / pct(a, 50)).toFixed(2)}  p99 ${(pct(b, 99) / pct(a, 99)).toFixed(2)}`,
    );
    console.log(
      `  checks: ${c.jobs} jobs for ${done} annotations, ${c.results} results, ${c.issues} issues; submitting took ${((submitEnd - started) / 1000).toFixed(1)} s, the queue drained ${((drained - submitEnd) / 1000).toFixed(1)} s after the last submit`,
    );
  } finally {
    await app.close();
    await platform.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    await scratch?.drop();
  }
}

await main();
