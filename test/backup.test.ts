import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMasterKey } from '../src/platform/crypto/master-key.ts';
import { SecretBox } from '../src/platform/crypto/secrets.ts';
import { type Database, openDatabase } from '../src/platform/db/client.ts';
import { MIGRATIONS_DIR, migrationState, readJournal } from '../src/platform/db/migrate.ts';
import {
  cleanUpCli,
  cliEnv,
  freePort,
  freshDatabaseUrl,
  type Running,
  run,
  serverReachable,
  start,
  tempDataDir,
  waitFor,
} from './cli-helpers.ts';

const OWNER = { email: 'owner@backup.test', password: 'Sturdy-backup-passphrase-42' };
const WEBHOOK_SECRET = 'the-webhook-secret-that-must-survive';
const CONFIG = `<View><Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>`;
const expectedMigrations = readJournal().entries.length;
const hasServer = await serverReachable();

afterAll(cleanUpCli);

function envOf(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cliEnv({
    DATA_DIR: dataDir,
    SUPERINSIGHT_ADMIN_EMAIL: OWNER.email,
    SUPERINSIGHT_ADMIN_PASSWORD: OWNER.password,
    ...extra,
  });
}

async function serve(env: NodeJS.ProcessEnv): Promise<{ base: string; server: Running }> {
  const port = await freePort();
  const server = start(['serve'], { ...env, PORT: String(port) });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/health/ready`, server);
  return { base, server };
}

async function stop(server: Running): Promise<void> {
  server.child.kill('SIGTERM');
  expect(await server.exited).toEqual({ code: 0, signal: null });
}

// biome-ignore lint/suspicious/noExplicitAny: the test reads API answers loosely.
type Call = (method: string, url: string, body?: unknown) => Promise<{ status: number; json: any }>;

async function signIn(base: string, tenant?: string): Promise<Call> {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...OWNER, tenant }),
  });
  expect(login.status).toBe(200);
  const { token } = (await login.json()) as { token: string };
  return async (method, url, body) => {
    const res = await fetch(`${base}/api/v1${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
}

// Generous, as the CLI tests' deadlines are: machines running other suites are slow (a
// refusal test's nine CLI runs took over 120 s at a load average of 17 on 2 cores).
const TEST_TIMEOUT_MS = 900_000;

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not happen within 120 s`);
}

interface Made {
  projectId: number;
  taskIds: number[];
  annotationId: number;
  webhookId: number;
}

/**
 * Through the API: a tenant, a project, three imported tasks, an annotation, a webhook with
 * a sealed secret (audit rows come with each). Returns once every job they started is done,
 * so nothing writes to the database behind the test's back.
 */
async function populate(base: string): Promise<Made> {
  const asPlatformOwner = await signIn(base);
  expect((await asPlatformOwner('POST', '/tenants', { slug: 'acme', name: 'Acme' })).status).toBe(201);
  const call = await signIn(base, 'acme');
  const project = await call('POST', '/projects', { title: 'Sentiment', label_config: CONFIG });
  expect(project.status).toBe(201);
  const projectId = project.json.id as number;
  const imported = await call('POST', `/projects/${projectId}/import`, [
    { data: { text: 'good' } },
    { data: { text: 'bad' } },
    { data: { text: 'so-so' } },
  ]);
  expect(imported.status).toBe(201);
  await until('the import', async () => {
    const job = await call('GET', `/jobs/${imported.json.job_id}`);
    if (job.json.state === 'failed') throw new Error(`import failed: ${job.json.error}`);
    return job.json.state === 'completed' ? true : undefined;
  });
  const tasks = await call('GET', `/projects/${projectId}/tasks?sort=id`);
  const taskIds = (tasks.json.items as { id: number }[]).map((t) => t.id);
  expect(taskIds).toHaveLength(3);
  const annotation = await call('POST', `/tasks/${taskIds[0]}/annotations`, {
    result: [
      {
        id: 'r1',
        from_name: 'sentiment',
        to_name: 'text',
        type: 'choices',
        value: { choices: ['Positive'] },
      },
    ],
  });
  expect(annotation.status).toBe(201);
  // An event that never fires here: the secret is sealed, and no delivery is attempted.
  const webhook = await call('POST', '/webhooks', {
    url: 'http://127.0.0.1:9/hook',
    events: ['PROJECT_DELETED'],
    secret: WEBHOOK_SECRET,
  });
  expect(webhook.status).toBe(201);
  await until('the jobs to finish', async () => {
    for (const state of ['queued', 'running']) {
      if ((await call('GET', `/jobs?state=${state}`)).json.items.length > 0) return undefined;
    }
    return true;
  });
  return { projectId, taskIds, annotationId: annotation.json.id, webhookId: webhook.json.id };
}

/** Rows of every table of every schema but PostgreSQL's own. */
async function rowCounts(database: Database): Promise<Record<string, number>> {
  const { rows } = await database.raw.query(
    `select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as name
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
        and n.nspname not like 'pg_toast%' order by 1`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of rows as { name: string }[]) {
    const { rows: n } = await database.raw.query(`select count(*)::int as n from ${name}`);
    counts[name] = Number(n[0]!.n);
  }
  return counts;
}

/** Row counts, and the webhook's secret opened with `masterKey`. */
async function inspect(
  open: { databaseUrl?: string; pgliteDir?: string },
  masterKey: Buffer,
  webhookId: number,
): Promise<{ counts: Record<string, number>; secret: string }> {
  const database = await openDatabase(open);
  try {
    const counts = await rowCounts(database);
    const { rows } = await database.raw.query('select secret_encrypted from webhooks where id = $1', [
      webhookId,
    ]);
    const secret = await new SecretBox(masterKey).decrypt(database.db, String(rows[0]!.secret_encrypted));
    return { counts, secret };
  } finally {
    await database.close();
  }
}

/** The restored platform serves what was made, and its audit chain still verifies. */
async function expectServed(base: string, made: Made): Promise<void> {
  const call = await signIn(base, 'acme');
  expect((await call('GET', `/projects/${made.projectId}`)).json).toMatchObject({ title: 'Sentiment' });
  const tasks = await call('GET', `/projects/${made.projectId}/tasks?sort=id`);
  expect((tasks.json.items as { id: number }[]).map((t) => t.id)).toEqual(made.taskIds);
  const task = await call('GET', `/projects/${made.projectId}/tasks/${made.taskIds[0]}`);
  expect((task.json.annotations as { id: number }[]).map((a) => a.id)).toEqual([made.annotationId]);
  expect((await call('GET', `/webhooks/${made.webhookId}`)).status).toBe(200);
  const audit = await call('GET', '/audit/logs?action=webhook.created');
  expect(audit.json.items).toHaveLength(1);
  expect((await call('POST', '/audit/verify')).json).toMatchObject({ ok: true });
}

function gunzipped(file: string): Buffer {
  return zlib.gunzipSync(fs.readFileSync(file));
}

/** Entry names of a tar (ustar, 512-byte blocks). */
function tarNames(tar: Buffer): string[] {
  const names: string[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    names.push(header.toString('latin1', 0, 100).replace(/\0.*$/s, ''));
    const size = Number.parseInt(header.toString('latin1', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

/** A directory for backup files, removed with the data dirs. */
function scratch(): string {
  return path.dirname(tempDataDir());
}

describe('backup and restore on PGlite', () => {
  it(
    'backs up while serving (through its socket) and stopped; each restores into a fresh data dir with every row',
    async () => {
      const files = scratch();
      const source = tempDataDir();
      const { base, server } = await serve(envOf(source));
      const made = await populate(base);
      const socket = fs.statSync(path.join(source, 'control.sock'));
      expect(socket.isSocket()).toBe(true);
      expect(socket.mode & 0o777).toBe(0o600);

      const live = path.join(files, 'live.tar.gz');
      const first = await run(['backup', '--out', live], envOf(source));
      expect(first.output).toContain('taken by the running server');
      expect(first.output).toContain('The master key is not in the backup');
      expect(first.code).toBe(0);
      expect(fs.statSync(live).mode & 0o777).toBe(0o600);
      // The server went on serving and still holds its data directory.
      expect((await fetch(`${base}/health/ready`)).status).toBe(200);
      expect(fs.existsSync(path.join(source, 'pg.lock'))).toBe(true);
      await stop(server);
      expect(fs.existsSync(path.join(source, 'control.sock'))).toBe(false);

      const stopped = path.join(files, 'stopped.tar.gz');
      const second = await run(['backup', '--out', stopped], envOf(source));
      expect(second.output).not.toContain('running server');
      expect(second.code).toBe(0);
      expect(fs.existsSync(path.join(source, 'pg.lock'))).toBe(false);

      // The master key stays behind: no secret.key in the archive, its bytes nowhere in it.
      const keyText = fs.readFileSync(path.join(source, 'secret.key'), 'utf8').trim();
      for (const file of [live, stopped]) {
        const tar = gunzipped(file);
        expect(tarNames(tar)).toContain('/PG_VERSION');
        expect(tarNames(tar).filter((n) => /secret|initial-admin/.test(n))).toEqual([]);
        expect(tar.includes(keyText)).toBe(false);
        expect(tar.includes(Buffer.from(keyText, 'base64'))).toBe(false);
      }

      const masterKey = loadMasterKey(undefined, source);
      const before = await inspect({ pgliteDir: path.join(source, 'pg') }, masterKey, made.webhookId);
      expect(before.counts['public.tasks']).toBe(3);
      expect(before.counts['public.annotations']).toBe(1);

      // The second target's path is too long for a socket (see below).
      const targets = [tempDataDir(), path.join(tempDataDir(), 'd'.repeat(100))];
      for (const [i, file] of [live, stopped].entries()) {
        const target = targets[i]!;
        const restored = await run(['restore', file], envOf(target));
        expect(restored.output).toContain('applied 0 migration(s)');
        // No key in the fresh data dir yet: the restore says that the secrets need it.
        expect(restored.output).toMatch(
          /warning: the backup holds secrets sealed with a master key that is not here/,
        );
        expect(restored.code).toBe(0);
        fs.copyFileSync(path.join(source, 'secret.key'), path.join(target, 'secret.key'));

        const after = await inspect({ pgliteDir: path.join(target, 'pg') }, masterKey, made.webhookId);
        expect(after.counts).toEqual(before.counts);
        expect(after.secret).toBe(WEBHOOK_SECRET);

        const restoredServer = await serve(envOf(target));
        await expectServed(restoredServer.base, made);
        if (i === 1) {
          // Without its socket the server runs on, and a backup beside it is refused with the
          // lock's message: PGlite is one process per data directory.
          expect(restoredServer.server.output()).toContain('the backup socket could not be opened');
          const beside = await run(['backup', '--out', path.join(files, 'beside.tar.gz')], envOf(target));
          expect(beside.output).toMatch(/is in use by process \d+ .* offers no backup socket/);
          expect(beside.code).toBe(1);
        }
        await stop(restoredServer.server);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a data dir that holds a database, files that are no PGlite backup, and a backup of nothing',
    async () => {
      const files = scratch();
      // What restore refuses it refuses before PGlite starts, so no database is needed here.
      const notTar = path.join(files, 'notes.gz');
      fs.writeFileSync(notTar, zlib.gzipSync('not a tar'));
      const otherTar = path.join(files, 'other.tar.gz');
      fs.mkdirSync(path.join(files, 'other'));
      fs.writeFileSync(path.join(files, 'other', 'readme.txt'), 'hello');
      execFileSync('tar', ['-czf', otherTar, '-C', path.join(files, 'other'), '.']);
      const junk = path.join(files, 'junk.bin');
      fs.writeFileSync(junk, randomBytes(1000));

      const empty = tempDataDir();
      for (const [file, message] of [
        [notTar, 'is a gzip file but not a PGlite backup: it does not hold a tar archive'],
        [otherTar, 'is a gzip file but not a PGlite backup: its tar has no PG_VERSION'],
        [junk, 'is not a backup: neither a pg_dump custom-format archive (PGDMP) nor a PGlite dump (gzip)'],
        [path.join(files, 'missing.tar.gz'), 'missing.tar.gz does not exist'],
      ] as const) {
        const refused = await run(['restore', file], envOf(empty));
        expect(refused.output).toContain(message);
        expect(refused.code).toBe(2);
        expect(fs.existsSync(path.join(empty, 'pg'))).toBe(false);
      }

      const holding = tempDataDir();
      fs.mkdirSync(path.join(holding, 'pg'), { recursive: true });
      fs.writeFileSync(path.join(holding, 'pg', 'PG_VERSION'), '18\n');
      const occupied = await run(['restore', otherTar], envOf(holding));
      expect(occupied.output).toContain(`${path.join(holding, 'pg')} already holds a database`);
      expect(occupied.code).toBe(2);
      expect(fs.readdirSync(path.join(holding, 'pg'))).toEqual(['PG_VERSION']);

      const nothing = await run(['backup', '--out', path.join(files, 'x.tar.gz')], envOf(tempDataDir()));
      expect(nothing.output).toContain('There is no embedded database');
      expect(nothing.code).toBe(2);
      expect(fs.readdirSync(files).filter((n) => n.startsWith('x.tar.gz'))).toEqual([]);

      const noOut = await run(['backup'], envOf(empty));
      expect(noOut.output).toContain('Usage: superinsight backup --out FILE');
      expect(noOut.code).toBe(2);
      const exists = await run(['backup', '--out', junk], envOf(holding));
      expect(exists.output).toContain('already exists');
      expect(exists.code).toBe(2);
    },
    TEST_TIMEOUT_MS,
  );
});

describe.skipIf(!hasServer)('backup and restore on PostgreSQL', () => {
  const key = randomBytes(32);
  const pgEnv = (databaseUrl: string, dataDir = tempDataDir()) =>
    envOf(dataDir, { DATABASE_URL: databaseUrl, SUPERINSIGHT_SECRET_KEY: key.toString('hex') });

  it(
    'pg_dump of a serving platform restores into a fresh database with every row',
    async () => {
      const files = scratch();
      const sourceUrl = await freshDatabaseUrl();
      const { base, server } = await serve(pgEnv(sourceUrl));
      const made = await populate(base);
      const dump = path.join(files, 'platform.dump');
      const backedUp = await run(['backup', '--out', dump], pgEnv(sourceUrl));
      expect(backedUp.output).toContain('pg_dump, custom format');
      expect(backedUp.code).toBe(0);
      expect(fs.readFileSync(dump).subarray(0, 5).toString()).toBe('PGDMP');
      expect(fs.statSync(dump).mode & 0o777).toBe(0o600);
      await stop(server);

      // The master key is not in the dump (read as the SQL it restores).
      const script = execFileSync('pg_restore', ['--file=-', dump], {
        maxBuffer: 256 * 1024 * 1024,
      }).toString();
      expect(script).toContain('secret_encrypted');
      for (const form of [key.toString('hex'), key.toString('base64'), key.toString('base64url')])
        expect(script.includes(form)).toBe(false);
      expect(script.includes(WEBHOOK_SECRET)).toBe(false);

      const before = await inspect({ databaseUrl: sourceUrl }, key, made.webhookId);
      expect(before.counts['public.tasks']).toBe(3);
      const targetUrl = await freshDatabaseUrl();
      const restored = await run(['restore', dump], pgEnv(targetUrl));
      expect(restored.output).toContain('applied 0 migration(s)');
      expect(restored.output).not.toContain('warning');
      expect(restored.code).toBe(0);
      const after = await inspect({ databaseUrl: targetUrl }, key, made.webhookId);
      expect(after.counts).toEqual(before.counts);
      expect(after.secret).toBe(WEBHOOK_SECRET);

      const restoredServer = await serve(pgEnv(targetUrl));
      await expectServed(restoredServer.base, made);
      await stop(restoredServer.server);

      // Into a database that holds tables (the source itself): refused, nothing touched.
      const occupied = await run(['restore', dump], pgEnv(sourceUrl));
      expect(occupied.output).toMatch(
        /The database already holds \d+ table\(s\) \(public\.\w+, public\.\w+, public\.\w+, …\); restore into an empty database/,
      );
      expect(occupied.code).toBe(2);
      expect((await inspect({ databaseUrl: sourceUrl }, key, made.webhookId)).counts).toEqual(before.counts);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a backup of an older schema restores and is migrated to head',
    async () => {
      const files = scratch();
      const sourceUrl = await freshDatabaseUrl();
      // The first half of the history, as an older release would have left the database.
      const older = path.join(files, 'drizzle');
      fs.cpSync(MIGRATIONS_DIR, older, { recursive: true });
      const journal = readJournal(older);
      const kept = Math.floor(journal.entries.length / 2);
      journal.entries = journal.entries.slice(0, kept);
      fs.writeFileSync(path.join(older, 'meta', '_journal.json'), JSON.stringify(journal));
      const pool = new pg.Pool({ connectionString: sourceUrl, max: 1 });
      try {
        await migrate(drizzle(pool), { migrationsFolder: older });
      } finally {
        await pool.end();
      }

      const dump = path.join(files, 'older.dump');
      expect((await run(['backup', '--out', dump], pgEnv(sourceUrl))).code).toBe(0);
      const targetUrl = await freshDatabaseUrl();
      const restored = await run(['restore', dump], pgEnv(targetUrl));
      expect(restored.output).toContain(`applied ${expectedMigrations - kept} migration(s)`);
      expect(restored.code).toBe(0);
      const database = await openDatabase({ databaseUrl: targetUrl });
      try {
        expect(await migrationState(database.raw)).toMatchObject({
          applied: expectedMigrations,
          atHead: true,
        });
      } finally {
        await database.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a PGlite backup, a file that is no backup, and says when pg_dump or pg_restore is missing',
    async () => {
      const files = scratch();
      const url = await freshDatabaseUrl();
      const gz = path.join(files, 'embedded.tar.gz');
      fs.writeFileSync(gz, zlib.gzipSync('x'));
      const kind = await run(['restore', gz], pgEnv(url));
      expect(kind.output).toContain(
        'is a PGlite backup; it restores into the embedded database: unset DATABASE_URL',
      );
      expect(kind.code).toBe(2);

      const noPath = { PATH: path.join(files, 'no-tools') };
      const out = path.join(files, 'never.dump');
      const noDump = await run(['backup', '--out', out], { ...pgEnv(url), ...noPath });
      expect(noDump.output).toContain('pg_dump is not installed (or not on PATH)');
      expect(noDump.code).toBe(2);
      expect(fs.readdirSync(files).filter((n) => n.startsWith('never.dump'))).toEqual([]);

      const dump = path.join(files, 'empty.dump');
      fs.writeFileSync(dump, 'PGDMP');
      const noRestore = await run(['restore', dump], { ...pgEnv(url), ...noPath });
      expect(noRestore.output).toContain('pg_restore is not installed (or not on PATH)');
      expect(noRestore.code).toBe(2);

      // PGDMP and nothing after: pg_restore itself cannot read it.
      const broken = await run(['restore', dump], pgEnv(url));
      expect(broken.output).toMatch(/starts like a pg_dump archive, but pg_restore cannot read it: .+/);
      expect(broken.code).toBe(2);
    },
    TEST_TIMEOUT_MS,
  );
});
