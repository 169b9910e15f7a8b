/**
 * What `npm start` holds idle on PGlite: the resident memory of all of its processes
 * together (npm, the platform and its threads), 30 s after /health/ready answers, on a
 * first start (an empty DATA_DIR: the database is created) and when reopening that same
 * DATA_DIR. Targets (issue 28): ≤ 600 MB on a first start, ≤ 400 MB reopened.
 *
 *   npx tsx bench/memory.ts            # BENCH_IDLE_SECONDS=30 changes the wait
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, processTree, rssBytes, startChild, waitForHttp } from './lib/proc.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function idleRss(dataDir: string, label: string, target: number): Promise<void> {
  const port = await freePort();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    SUPERINSIGHT_ADMIN_PASSWORD: 'idle-memory-passphrase-1',
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const started = Date.now();
  const child = startChild('npm start', 'npm', ['start'], env);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`, child, 200, 180_000);
    const ready = (Date.now() - started) / 1000;
    await sleep(IDLE_SECONDS * 1000);
    const tree = processTree(child.process.pid!);
    const each = tree.map((pid) => ({ pid, rss: rssBytes(pid), name: commandOf(pid) }));
    const total = each.reduce((s, p) => s + p.rss, 0);
    // npm's own process and its shell only launch the platform; the platform is the rest.
    const platform = each.filter((p) => !['npm start', 'sh'].includes(p.name)).reduce((s, p) => s + p.rss, 0);
    console.log(
      `${label}: ready in ${ready.toFixed(1)} s; ${IDLE_SECONDS} s later the platform holds ${mb(platform)} ` +
        `(target ≤ ${mb(target)}: ${platform <= target ? 'holds' : 'FAILS'}); with npm, all ${tree.length} processes ${mb(total)} ` +
        `(${each.map((p) => `${p.name} ${mb(p.rss)}`).join(', ')})`,
    );
  } finally {
    await stopTree(child.process.pid!);
  }
}

/** SIGTERM to every process of the tree (npm does not always pass it on); waits until all have ended. */
async function stopTree(root: number): Promise<void> {
  const tree = processTree(root);
  for (const pid of tree.reverse()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + 20_000;
  while (tree.some((pid) => rssBytes(pid) > 0) && Date.now() < deadline) await sleep(100);
}

function commandOf(pid: number): string {
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    if (args[0] === 'sh' || args[0] === '/bin/sh') return 'sh';
    return path.basename(args.find((a) => a.includes('superinsight') || a.includes('npm')) ?? args[0] ?? '?');
  } catch {
    return '?';
  }
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-bench-memory-'));
console.log(
  `bench/memory: ${ROOT}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
try {
  await idleRss(dataDir, 'first start (empty DATA_DIR)', 600 * 1024 * 1024);
  await idleRss(dataDir, 'reopened DATA_DIR', 400 * 1024 * 1024);
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
console.log(
  `load average after: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
