/**
 * Authenticated requests under load, beside /health in the same run.
 *
 *   DATABASE_URL=postgres://... npx tsx bench/auth.ts     (the setting; PGlite otherwise)
 *
 * Starts the server on a fresh database, signs in as the bootstrapped owner, imports a
 * project of BENCH_PAGE_TASKS (10,000) tasks, then drives GET /api/v1/auth/me
 * (authentication only), GET /api/v1/roles and a task page (authentication plus a
 * tenant-scoped transaction under row-level security) with autocannon. Prints req/s, p50,
 * p99, server CPU per request and the ratio to /health, and on PostgreSQL each list's ratio
 * to the same query without HTTP (target ≥ 50%, issue 28); never fails on a target.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { listTasks } from '../src/modules/annotation/tasks/tasks.service.ts';
import { listRoles } from '../src/modules/identity/roles/roles.service.ts';
import { type Db, openDatabase } from '../src/platform/db/client.ts';
import { inTenant, readInTenant } from '../src/platform/db/tenancy.ts';
import { Api, upload, waitJob, writeJsonl } from './lib/api.ts';
import { scratchDatabase } from './lib/database.ts';
import { Latencies } from './lib/latencies.ts';
import { type Child, cpuSeconds, startServer } from './lib/proc.ts';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const EMAIL = 'bench@superinsight.local';
const PASSWORD = 'Load-test-passphrase-2026';
const PAGE_TASKS = Number(process.env.BENCH_PAGE_TASKS ?? 10_000);
const CONFIG =
  '<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>';

interface Run {
  label: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  cpuUsPerRequest: number;
}

async function measure(
  label: string,
  url: string,
  server: Child,
  headers: Record<string, string> = {},
): Promise<Run> {
  await autocannon({ url, headers, connections: CONNECTIONS, duration: 2 });
  const cpuBefore = cpuSeconds(server.process.pid!);
  const latencies = new Latencies();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, headers, connections: CONNECTIONS, duration: DURATION_S },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_c, _s, _b, ms) => latencies.add(ms));
  });
  const [p50, p99] = latencies.percentiles(50, 99);
  const cpu = cpuSeconds(server.process.pid!) - cpuBefore;
  return {
    label,
    rps: result.requests.total / result.duration,
    p50: p50!,
    p99: p99!,
    non2xx: result.non2xx,
    cpuUsPerRequest: result.requests.total ? (cpu / result.requests.total) * 1e6 : 0,
  };
}

/**
 * The floor under a tenant-scoped list: the same query without HTTP, from this process, on
 * a pool the size of the server's read pool, at the same concurrency. Returns queries/s.
 */
async function floor(label: string, query: () => Promise<unknown>): Promise<number> {
  const latencies = new Latencies();
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const started = performance.now();
      await query();
      latencies.add(performance.now() - started);
    }
  };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  setTimeout(() => {
    stop = true;
  }, DURATION_S * 1000);
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const [p50, p99] = latencies.percentiles(50, 99);
  const rate = latencies.count / seconds;
  console.log(
    `floor: ${label} (pool of 5, ${CONNECTIONS} concurrent, no HTTP): ` +
      `${rate.toFixed(0)} queries/s, p50 ${p50!.toFixed(2)} ms, p99 ${p99!.toFixed(2)} ms, ` +
      `${(((cpu.user + cpu.system) / latencies.count) | 0).toString()} µs CPU/query in the client`,
  );
  return rate;
}

/** The roles query as a prepared statement; the task page as the server's own query function in a tenant transaction. */
async function databaseFloors(databaseUrl: string, projectId: number, runs: Run[]): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 5 });
  try {
    const { rows } = await pool.query<{ tenant_id: string }>('select tenant_id from roles limit 1');
    const tenantId = rows[0]!.tenant_id;
    const roles = {
      name: 'bench_roles',
      text: 'select * from roles where tenant_id = $1 order by built_in desc, name',
      values: [tenantId],
    };
    const rolesRate = await floor('the roles query alone, prepared', () => pool.query(roles));
    // Not a floor: the server's own read path without HTTP (RLS, drizzle, the role view), to
    // tell how much of the gap is the database path and how much HTTP and authentication.
    const database = await openDatabase({ databaseUrl, poolSize: 20 });
    try {
      await floor("listRoles through readInTenant (the server's read path, RLS)", () =>
        readInTenant(database, { tenantId }, (db) => listRoles(db, tenantId)),
      );
    } finally {
      await database.close();
    }
    const db = drizzle({ client: pool }) as unknown as Db;
    const tasksRate = await floor('the task page: listTasks in a tenant transaction (RLS)', () =>
      inTenant(db, { tenantId }, (tx) =>
        listTasks(tx, { id: projectId }, { filter: {}, sort: 'id', limit: 50 } as Parameters<
          typeof listTasks
        >[2]),
      ),
    );
    for (const [run, rate] of [
      [runs[2]!, rolesRate],
      [runs[3]!, tasksRate],
    ] as const) {
      const ratio = run.rps / rate;
      console.log(
        `target: ${run.label} ≥ 50% of its floor: ${(ratio * 100).toFixed(0)}% (${run.rps.toFixed(0)} against ${rate.toFixed(0)}/s): ${ratio >= 0.5 ? 'holds' : 'FAILS'}`,
      );
    }
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL || undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-bench-auth-'));
  const scratch = serverUrl ? await scratchDatabase(serverUrl, 'si_bench_auth') : undefined;
  const databaseUrl = scratch?.url;
  let server: Child | undefined;
  try {
    let base: string;
    ({ server, base } = await startServer({
      dataDir,
      databaseUrl,
      env: { SUPERINSIGHT_ADMIN_EMAIL: EMAIL, SUPERINSIGHT_ADMIN_PASSWORD: PASSWORD },
    }));
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const { token } = (await login.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    const api = new Api(base, token);
    const project = await api.ok('POST', '/api/v1/projects', { title: 'Bench page', label_config: CONFIG });
    const file = path.join(dataDir, 'tasks.jsonl');
    await writeJsonl(file, PAGE_TASKS);
    await waitJob(api, (await upload(api, `/api/v1/projects/${project.id}/import`, file)).job_id);
    const taskPage = `${base}/api/v1/projects/${project.id}/tasks?limit=50`;

    console.log(`bench/auth.ts  ${new Date().toISOString()}`);
    console.log(
      `node ${process.version}, ${os.cpus().length} CPU(s), driver ${databaseUrl ? 'PostgreSQL' : 'PGlite'}${process.env.REDIS_URL ? ' + Redis' : ''}; ` +
        `autocannon ${CONNECTIONS} connections, 2 s warm-up + ${DURATION_S} s each; load average ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}\n`,
    );
    const runs = [
      await measure('GET /health', `${base}/health`, server),
      await measure('GET /api/v1/auth/me', `${base}/api/v1/auth/me`, server, auth),
      await measure('GET /api/v1/roles (tenant-scoped list)', `${base}/api/v1/roles`, server, auth),
      await measure(`GET a task page (50 of ${PAGE_TASKS})`, taskPage, server, auth),
      await measure('GET /health (again)', `${base}/health`, server),
    ];
    const health = (runs[0]!.rps + runs[4]!.rps) / 2;
    console.log(
      'endpoint                                  req/s    p50 ms   p99 ms   non-2xx  server CPU µs/req  vs /health',
    );
    for (const r of runs) {
      console.log(
        `${r.label.padEnd(40)} ${r.rps.toFixed(0).padStart(7)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(8)} ` +
          `${String(r.non2xx).padStart(9)} ${r.cpuUsPerRequest.toFixed(0).padStart(18)} ${((r.rps / health) * 100).toFixed(0).padStart(10)}%`,
      );
    }
    for (const r of runs.slice(1, 3)) {
      console.log(`target: ${r.label} p99 ${r.p99.toFixed(2)} ms < 20 ms: ${r.p99 < 20 ? 'holds' : 'FAILS'}`);
    }
    if (databaseUrl) await databaseFloors(databaseUrl, project.id, runs);
  } finally {
    await server?.stop();
    await scratch?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
