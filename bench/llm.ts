/**
 * The LLM gateway's overhead, and a stalled provider against /health.
 *
 *   npx tsx bench/llm.ts            # embedded PGlite
 *   DATABASE_URL=postgres://... npx tsx bench/llm.ts
 *
 * Starts the local model server (test/llm-server: real llama.cpp inference on a tiny
 * random-weight model; run `node test/llm-server/install.mjs` once) and the platform as a
 * child, configures the model server as the tenant's playground provider, then makes
 * BENCH_CALLS chat calls (BENCH_CONCURRENCY at a time, BENCH_MAX_TOKENS tokens each) straight
 * to the model server and the same through the gateway, interleaved in rounds so both see the
 * same machine, and an authenticated API read (GET /api/v1/roles) as the floor any API call
 * stands on. Prints calls/s and p50/p99 of each, the gateway's share at p50 (target: ≤ 10%)
 * and what is left of it beyond the API floor. Then tells the model server to answer after
 * BENCH_STALL_MS, keeps BENCH_STALLED_CALLS gateway calls hanging on it, and times /health
 * meanwhile against /health idle. Prints figures and whether the targets hold; never fails on them.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startModelServer } from '../test/model-server.ts';
import { Api } from './lib/api.ts';
import { scratchDatabase } from './lib/database.ts';
import { Latencies } from './lib/latencies.ts';
import { startServer } from './lib/proc.ts';

const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const MAX_TOKENS = Number(process.env.BENCH_MAX_TOKENS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const STALL_MS = Number(process.env.BENCH_STALL_MS ?? 5000);
const STALLED_CALLS = Number(process.env.BENCH_STALLED_CALLS ?? 20);
const ADMIN_EMAIL = 'bench-admin@superinsight.local';
const ADMIN_PASSWORD = `Bench-${randomUUID()}`;
const MESSAGES = [
  { role: 'user', content: 'Label this sentence as positive or negative: the service was quick.' },
];

interface Stats {
  latencies: Latencies;
  seconds: number;
  failures: number;
}

/** Runs `n` calls, `concurrency` at a time, adding each one's time to `stats`. */
async function run(n: number, concurrency: number, stats: Stats, one: () => Promise<boolean>): Promise<void> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const t0 = performance.now();
        const ok = await one();
        stats.latencies.add(performance.now() - t0);
        if (!ok) stats.failures++;
      }
    }),
  );
  stats.seconds += (performance.now() - started) / 1000;
}

function report(label: string, s: Stats): { p50: number; p99: number } {
  const [p50, p99] = s.latencies.percentiles(50, 99) as [number, number];
  console.log(
    `${label.padEnd(10)} ${(s.latencies.count / s.seconds).toFixed(1).padStart(7)} calls/s  p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms  failures ${s.failures}`,
  );
  return { p50, p99 };
}

async function healthTimes(base: string, ms: number): Promise<Latencies> {
  const l = new Latencies();
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const t0 = performance.now();
    const res = await fetch(`${base}/health`);
    await res.arrayBuffer();
    l.add(performance.now() - t0);
    await sleep(20);
  }
  return l;
}

async function main() {
  const model = await startModelServer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-bench-llm-'));
  const scratch = process.env.DATABASE_URL ? await scratchDatabase(process.env.DATABASE_URL) : undefined;
  const { server, base } = await startServer({
    dataDir,
    databaseUrl: scratch?.url,
    env: {
      SUPERINSIGHT_ADMIN_EMAIL: ADMIN_EMAIL,
      SUPERINSIGHT_ADMIN_PASSWORD: ADMIN_PASSWORD,
      OUTBOUND_ALLOW_CIDRS: '127.0.0.0/8',
      LOG_LEVEL: 'error',
    },
  });
  try {
    const api = new Api(base);
    api.token = (
      await api.ok('POST', '/api/v1/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
    ).token;
    const config = await api.ok('POST', '/api/v1/llm/configurations', {
      name: 'local',
      provider: 'openai',
      base_url: `${model.url}/v1`,
      default_model: model.model,
      timeout_ms: STALL_MS * 4,
    });
    await api.ok('PUT', '/api/v1/llm/bindings/playground', { configuration_id: config.id });

    const direct = async () => {
      const res = await fetch(`${model.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: model.model, messages: MESSAGES, max_tokens: MAX_TOKENS }),
      });
      await res.arrayBuffer();
      return res.ok;
    };
    // The floor every API call stands on: an authenticated tenant read through the same
    // server and client (sign-in check, one statement, serialisation), with no provider.
    const floor = async () => (await api.call('GET', '/api/v1/roles')).status === 200;
    const gateway = async () =>
      (await api.call('POST', '/api/v1/llm/chat', { messages: MESSAGES, max_tokens: MAX_TOKENS })).status ===
      200;

    console.log(
      `${CALLS} calls each, ${CONCURRENCY} at a time, ${MAX_TOKENS} tokens out, in ${ROUNDS} rounds`,
    );
    await run(20, CONCURRENCY, { latencies: new Latencies(), seconds: 0, failures: 0 }, direct);
    await run(20, CONCURRENCY, { latencies: new Latencies(), seconds: 0, failures: 0 }, gateway);
    const straight: Stats = { latencies: new Latencies(), seconds: 0, failures: 0 };
    const through: Stats = { latencies: new Latencies(), seconds: 0, failures: 0 };
    const apiFloor: Stats = { latencies: new Latencies(), seconds: 0, failures: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      await run(Math.ceil(CALLS / ROUNDS), CONCURRENCY, straight, direct);
      await run(Math.ceil(CALLS / ROUNDS), CONCURRENCY, through, gateway);
      await run(Math.ceil(CALLS / ROUNDS), CONCURRENCY, apiFloor, floor);
    }
    const d = report('direct', straight);
    const g = report('gateway', through);
    const f = report('api floor', apiFloor);
    const share = (g.p50 - d.p50) / d.p50;
    console.log(
      `gateway adds ${(g.p50 - d.p50).toFixed(2)} ms at p50 (${(share * 100).toFixed(1)}%; target ≤ 10%: ${share <= 0.1 ? 'met' : 'missed'})`,
    );
    console.log(
      `of which any API call pays ${f.p50.toFixed(2)} ms (GET /api/v1/roles); the gateway's own work beyond that floor: ${(g.p50 - d.p50 - f.p50).toFixed(2)} ms (${(((g.p50 - d.p50 - f.p50) / d.p50) * 100).toFixed(1)}% of direct)`,
    );

    const idle = await healthTimes(base, 3000);
    await model.control({ delayMs: STALL_MS });
    const hanging = Array.from({ length: STALLED_CALLS }, () => gateway());
    await sleep(200);
    const stalled = await healthTimes(base, Math.max(1000, STALL_MS - 1000));
    await Promise.all(hanging);
    await model.control({});
    const [i50, i99] = idle.percentiles(50, 99) as [number, number];
    const [s50, s99] = stalled.percentiles(50, 99) as [number, number];
    console.log(
      `/health idle:    p50 ${i50.toFixed(2)} ms  p99 ${i99.toFixed(2)} ms  (${idle.count} requests)`,
    );
    console.log(
      `/health stalled: p50 ${s50.toFixed(2)} ms  p99 ${s99.toFixed(2)} ms  (${stalled.count} requests, ${STALLED_CALLS} gateway calls waiting ${STALL_MS} ms on the provider)`,
    );
    console.log(`stalled/idle p99: ${(s99 / i99).toFixed(2)}×`);
  } finally {
    await server.stop();
    await model.close();
    await scratch?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
