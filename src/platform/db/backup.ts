import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import zlib from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { count } from 'drizzle-orm';
import pg from 'pg';
import type { Config } from '../../config.ts';
import { loadMasterKey } from '../crypto/master-key.ts';
import { encryptionKeys } from '../crypto/schema.ts';
import { MasterKeyMismatchError, SecretBox } from '../crypto/secrets.ts';
import { type Database, type Db, DirLockedError, openDatabase } from './client.ts';
import { ControlSocketError, type Dumpable, requestBackup } from './control-socket.ts';
import { acquireDirLock } from './dir-lock.ts';
import { runMigrations } from './migrate.ts';
import { APP_ROLE } from './tenancy.ts';

/** A failure the CLI reports as one line, with its exit code (1: error, 2: bad request). */
export class BackupError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

export type BackupKind = 'pg_dump' | 'pglite';

type Say = (line: string) => void;

const KEY_ADVICE =
  'The master key is not in the backup: keep DATA_DIR/secret.key (or SUPERINSIGHT_SECRET_KEY) safe, apart from it; ' +
  'without it the secrets in the backup cannot be decrypted.';

/** `superinsight backup --out FILE`: PGlite's dump of DATA_DIR/pg, or pg_dump's custom format. */
export async function backup(config: Config, out: string, say: Say): Promise<void> {
  const target = path.resolve(out);
  if (fs.existsSync(target)) throw new BackupError(`${target} already exists; give a new file name.`, 2);
  if (!fs.existsSync(path.dirname(target)))
    throw new BackupError(`The directory ${path.dirname(target)} does not exist.`, 2);
  // Written beside the target and renamed at the end: FILE only ever appears whole.
  const partial = `${target}.partial-${process.pid}`;
  try {
    let how: string;
    if (config.databaseUrl) {
      await pgDump(config.databaseUrl, partial);
      how = 'pg_dump, custom format';
    } else {
      how = await pgliteBackup(config.dataDir, partial);
    }
    fs.renameSync(partial, target);
    say(`Backed up the database to ${target} (${fs.statSync(target).size} bytes; ${how}).`);
    say(KEY_ADVICE);
  } finally {
    fs.rmSync(partial, { force: true });
  }
}

/** `superinsight restore FILE`: into an empty DATA_DIR/pg or an empty database, then migrates. */
export async function restore(config: Config, file: string, say: Say): Promise<void> {
  const source = path.resolve(file);
  const kind = await backupKindOf(source);
  if (config.databaseUrl) {
    if (kind !== 'pg_dump')
      throw new BackupError(
        `${source} is a PGlite backup; it restores into the embedded database: unset DATABASE_URL.`,
        2,
      );
    await pgRestore(config.databaseUrl, source);
  } else {
    if (kind !== 'pglite')
      throw new BackupError(
        `${source} is a pg_dump archive; it restores into PostgreSQL: set DATABASE_URL to an empty database.`,
        2,
      );
    await pgliteRestore(config.dataDir, source);
  }
  const database = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: pgliteDirOf(config) });
  try {
    const { applied } = await runMigrations(database);
    say(`Restored ${source}; applied ${applied} migration(s) after it, the database is at head.`);
    const warning = await masterKeyWarning(config, database.db);
    if (warning) process.stderr.write(`superinsight: warning: ${warning}\n`);
  } finally {
    await database.close();
  }
}

const pgliteDirOf = (config: Config) => path.join(config.dataDir, 'pg');

/** By the file's first bytes: `PGDMP` starts pg_dump's custom format, 1f 8b a gzip stream. */
export async function backupKindOf(file: string): Promise<BackupKind> {
  let head: Buffer;
  try {
    const handle = await fs.promises.open(file, 'r');
    try {
      head = Buffer.alloc(5);
      const { bytesRead } = await handle.read(head, 0, 5, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BackupError(`${file} does not exist.`, 2);
    if (code === 'EISDIR') throw new BackupError(`${file} is a directory, not a backup file.`, 2);
    throw err;
  }
  if (head.toString('latin1') === 'PGDMP') return 'pg_dump';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'pglite';
  throw new BackupError(
    `${file} is not a backup: neither a pg_dump custom-format archive (PGDMP) nor a PGlite dump (gzip).`,
    2,
  );
}

// ---------------------------------------------------------------- PGlite

/**
 * A running server is asked over its control socket (it holds the lock); otherwise this
 * process opens the database itself, taking the lock, and dumps it.
 */
async function pgliteBackup(dataDir: string, partial: string): Promise<string> {
  const pgDir = path.join(dataDir, 'pg');
  if (!fs.existsSync(path.join(pgDir, 'PG_VERSION')))
    throw new BackupError(`There is no embedded database in ${pgDir} to back up.`, 2);
  // Opened here, so that a file that cannot be created fails at once, not in a stream.
  const out = fs.createWriteStream(partial, { fd: fs.openSync(partial, 'wx', 0o600) });
  try {
    try {
      if (await requestBackup(dataDir, out)) return 'PGlite dump, taken by the running server';
    } catch (err) {
      if (err instanceof ControlSocketError)
        throw new BackupError(`The running server did not hand out the backup: ${err.message}.`, 1);
      throw err;
    }
    let database: Database;
    try {
      database = await openDatabase({ pgliteDir: pgDir });
    } catch (err) {
      if (err instanceof DirLockedError)
        throw new BackupError(
          `${err.message} That process offers no backup socket (only serve and worker do); back up when it has ended.`,
          1,
        );
      throw err;
    }
    try {
      const dump = await (database.pglite as unknown as Dumpable).dumpDataDir('gzip');
      await pipeline(Readable.fromWeb(dump.stream() as WebReadableStream<Uint8Array>), out);
    } finally {
      await database.close();
    }
    return 'PGlite dump';
  } finally {
    out.destroy();
  }
}

async function pgliteRestore(dataDir: string, file: string): Promise<void> {
  const pgDir = path.join(dataDir, 'pg');
  if (fs.existsSync(pgDir) && fs.readdirSync(pgDir).length > 0)
    throw new BackupError(
      `${pgDir} already holds a database; restore into an empty DATA_DIR (or move ${pgDir} away first).`,
      2,
    );
  await checkPgliteArchive(file);
  fs.mkdirSync(dataDir, { recursive: true });
  const lock = acquireDirLock(`${pgDir}.lock`, pgDir);
  try {
    // PGlite unpacks its own dump into the empty directory and starts on it once; the
    // migrations run after, through the platform's driver.
    const pglite = new PGlite(pgDir, { loadDataDir: (await fs.openAsBlob(file)) as Blob });
    await pglite.waitReady;
    await pglite.close();
  } catch (err) {
    // The directory was empty before: leave it so, not half unpacked.
    fs.rmSync(pgDir, { recursive: true, force: true });
    throw new BackupError(`Could not restore ${file}: ${(err as Error).message}`, 1);
  } finally {
    lock.release();
  }
}

/**
 * A PGlite dump is a tar of the data directory, gzipped. Before unpacking, check that the
 * tar holds a PostgreSQL data directory (its PG_VERSION file): PGlite would otherwise
 * create a new empty database over whatever the archive held.
 */
async function checkPgliteArchive(file: string): Promise<void> {
  const notOurs = (why: string) =>
    new BackupError(`${file} is a gzip file but not a PGlite backup: ${why}.`, 2);
  const tar = fs.createReadStream(file).pipe(zlib.createGunzip());
  let buffered: Buffer = Buffer.alloc(0);
  // Bytes of the current entry's body (padded to 512) still to skip.
  let skip = 0;
  let entries = 0;
  try {
    for await (const chunk of tar as AsyncIterable<Buffer>) {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (true) {
        if (skip > 0) {
          const n = Math.min(skip, buffered.length);
          skip -= n;
          buffered = buffered.subarray(n);
          if (skip > 0) break;
        }
        if (buffered.length < 512) break;
        const header = buffered.subarray(0, 512);
        buffered = buffered.subarray(512);
        if (header.every((b) => b === 0)) throw notOurs('its tar has no PG_VERSION');
        if (header.toString('latin1', 257, 262) !== 'ustar') throw notOurs('it does not hold a tar archive');
        entries++;
        const name = header.toString('latin1', 0, 100).replace(/\0.*$/s, '');
        if (name.replace(/^\/+/, '') === 'PG_VERSION') return;
        const size = Number.parseInt(
          header.toString('latin1', 124, 136).replace(/\0.*$/s, '').trim() || '0',
          8,
        );
        skip = Math.ceil(size / 512) * 512;
      }
    }
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw notOurs((err as Error).message);
  } finally {
    tar.destroy();
  }
  throw notOurs(entries === 0 ? 'it does not hold a tar archive' : 'its tar has no PG_VERSION');
}

// ---------------------------------------------------------------- PostgreSQL

/** libpq reads the password from PGPASSWORD, so it is not on a command line `ps` shows. */
function toolConnection(databaseUrl: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const url = new URL(databaseUrl);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (url.password) env.PGPASSWORD = decodeURIComponent(url.password);
  url.password = '';
  return { dbname: url.toString(), env };
}

function run(
  tool: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr });
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return reject(
          new BackupError(
            `${tool} is not installed (or not on PATH). Install PostgreSQL's client tools at the server's major ` +
              "version or newer (Debian/Ubuntu: postgresql-client), or use the server's own backup.",
            2,
          ),
        );
      reject(new BackupError(`${tool} failed: ${(stderr || err.message).trim()}`, 1));
    });
  });
}

/** "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)" -> 15; "9.6.24" -> 9. */
export function majorOf(versionLine: string): number | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(versionLine);
  if (!match) return undefined;
  const major = Number(match[1]);
  // Before 10 the major version was two numbers (9.6); both sort below 10 alike.
  return major < 10 ? major + Number(match[2] ?? 0) / 10 : major;
}

async function toolMajor(tool: string): Promise<number> {
  const { stdout } = await run(tool, ['--version']);
  const major = majorOf(stdout);
  if (major === undefined)
    throw new BackupError(`Cannot read the version of ${tool}: "${stdout.trim()}".`, 1);
  return major;
}

async function withClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function serverMajor(databaseUrl: string): Promise<number> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ v: string }>('show server_version_num');
    return Math.floor(Number(rows[0]!.v) / 10_000);
  });
}

async function pgDump(databaseUrl: string, partial: string): Promise<void> {
  const tool = await toolMajor('pg_dump');
  const server = await serverMajor(databaseUrl);
  if (tool < server)
    throw new BackupError(
      `pg_dump is version ${tool} and the server ${server}; pg_dump cannot dump a newer server. ` +
        `Install pg_dump ${server} or newer (Debian/Ubuntu: postgresql-client-${server}).`,
      2,
    );
  // Created first with mode 0600: pg_dump truncates it and keeps the mode.
  fs.closeSync(fs.openSync(partial, 'wx', 0o600));
  const { dbname, env } = toolConnection(databaseUrl);
  await run('pg_dump', ['--format=custom', `--file=${partial}`, `--dbname=${dbname}`], env);
}

/** How many tables the schemas the platform fills (its own, the migrations', pg-boss's) hold, and the first few. */
async function tablesIn(databaseUrl: string): Promise<{ count: number; some: string[] }> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ name: string; count: string }>(
      `select n.nspname || '.' || c.relname as name, count(*) over () as count
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname in ('public', 'drizzle', 'pgboss')
        order by n.nspname <> 'public', 1 limit 3`,
    );
    return { count: Number(rows[0]?.count ?? 0), some: rows.map((r) => r.name) };
  });
}

async function pgRestore(databaseUrl: string, file: string): Promise<void> {
  await toolMajor('pg_restore');
  const tables = await tablesIn(databaseUrl);
  if (tables.count > 0)
    throw new BackupError(
      `The database already holds ${tables.count} table(s) (${tables.some.join(', ')}${tables.count > 3 ? ', …' : ''}); ` +
        'restore into an empty database (createdb a new one).',
      2,
    );
  let toc: string;
  try {
    toc = (await run('pg_restore', ['--list', file])).stdout;
  } catch (err) {
    throw new BackupError(
      `${file} starts like a pg_dump archive, but pg_restore cannot read it: ${(err as Error).message.replace(/^pg_restore failed: /, '')}`,
      2,
    );
  }
  if (!/ TABLE drizzle __drizzle_migrations /.test(toc))
    throw new BackupError(`${file} is a pg_dump archive, but not of a SuperInsight database.`, 2);
  // Roles are the cluster's, not the database's: a dump restored into another cluster needs
  // the application role before the grants to it (the first migration creates it the same way).
  await withClient(databaseUrl, (client) =>
    client.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN CREATE ROLE ${APP_ROLE} NOLOGIN; END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`),
  );
  const { dbname, env } = toolConnection(databaseUrl);
  // One transaction, stopped at the first error: a failed restore leaves the database empty.
  await run(
    'pg_restore',
    ['--no-owner', '--single-transaction', '--exit-on-error', `--dbname=${dbname}`, file],
    env,
  );
}

// ---------------------------------------------------------------- master key

/** The restored secrets open only with the master key they were sealed under. */
async function masterKeyWarning(config: Config, db: Db): Promise<string | undefined> {
  const keyFile = path.join(config.dataDir, 'secret.key');
  if (!config.secretKey && !fs.existsSync(keyFile)) {
    const [row] = await db.select({ n: count() }).from(encryptionKeys);
    if (!row?.n) return undefined;
    return (
      `the backup holds secrets sealed with a master key that is not here. Copy the original secret.key to ${keyFile} ` +
      '(or set SUPERINSIGHT_SECRET_KEY) before you start serve; it would otherwise generate a new key and refuse to start.'
    );
  }
  try {
    await new SecretBox(loadMasterKey(config.secretKey, config.dataDir)).assertMasterKey(db);
    return undefined;
  } catch (err) {
    if (!(err instanceof MasterKeyMismatchError)) throw err;
    return (
      'the master key here (SUPERINSIGHT_SECRET_KEY, or DATA_DIR/secret.key) is not the one that sealed the ' +
      "backup's secrets; put the original key in place before you start serve."
    );
  }
}
