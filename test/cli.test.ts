import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readJournal } from '../src/platform/db/migrate.ts';
import {
  cleanUpCli,
  cliEnv,
  freePort,
  freshDatabaseUrl,
  run,
  serverReachable,
  start,
  tempDataDir,
  waitFor,
} from './cli-helpers.ts';

const expectedMigrations = readJournal().entries.length;
const hasServer = await serverReachable();

afterAll(cleanUpCli);

describe('superinsight CLI', () => {
  it('--help prints the usage and the commands', async () => {
    const { code, output } = await run(['--help'], cliEnv({}));
    expect(code).toBe(0);
    expect(output).toMatch(/Usage: superinsight <command>/);
    for (const command of ['serve', 'migrate', 'worker'])
      expect(output).toMatch(new RegExp(`\\b${command}\\b`));
  });

  it('an unknown command exits 2 with the usage', async () => {
    const { code, output } = await run(['frobnicate'], cliEnv({}));
    expect(code).toBe(2);
    expect(output).toMatch(/Unknown command "frobnicate"/);
    expect(output).toMatch(/Usage:/);
  });

  it.each([
    ['PORT', 'abc', '"abc"'],
    ['LOG_LEVEL', 'loud', '"loud"'],
    // The URL itself is not echoed (it may hold a password), only its scheme.
    ['DATABASE_URL', 'mysql://localhost/x', '"mysql:"'],
    ['SUPERINSIGHT_IN_PROCESS_WORKER', 'maybe', '"maybe"'],
  ])('%s=%s exits 2 and names the variable', async (name, value, shown) => {
    const { code, output } = await run(['serve'], cliEnv({ DATA_DIR: tempDataDir(), [name]: value }));
    expect(code).toBe(2);
    expect(output).toContain(`Invalid configuration: ${name}`);
    expect(output).toContain(shown);
  });

  it('on PGlite: migrate, serve, refuse a second server, stop on SIGTERM, keep the data', async () => {
    const dataDir = tempDataDir();
    const lockFile = path.join(dataDir, 'pg.lock');

    const first = await run(['migrate'], cliEnv({ DATA_DIR: dataDir }));
    expect(first.output).toContain(`Applied ${expectedMigrations} migration(s)`);
    expect(first.code).toBe(0);
    expect(fs.existsSync(lockFile)).toBe(false);

    const port = await freePort();
    const server = start(['serve'], cliEnv({ DATA_DIR: dataDir, PORT: String(port) }));
    const health = await waitFor(`http://127.0.0.1:${port}/health`, server);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const ready = await waitFor(`http://127.0.0.1:${port}/health/ready`, server);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    // Someone who just ran `npm start` is told where the console is.
    expect(server.output()).toContain(`SuperInsight is ready: open http://127.0.0.1:${port}/ in a browser`);
    const status = (await (await fetch(`http://127.0.0.1:${port}/system/status`)).json()) as {
      database: { driver: string };
    };
    expect(status.database.driver).toBe('pglite');
    expect(fs.existsSync(lockFile)).toBe(true);

    const second = await run(['serve'], cliEnv({ DATA_DIR: dataDir, PORT: String(await freePort()) }));
    expect(second.code).not.toBe(0);
    expect(second.output).toMatch(/in use/);
    expect(second.output).toContain(lockFile);
    // The refused server left the first one's lock alone.
    expect(fs.existsSync(lockFile)).toBe(true);

    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(lockFile)).toBe(false);

    const again = await run(['migrate'], cliEnv({ DATA_DIR: dataDir }));
    expect(again.output).toContain('Applied 0 migration(s)');
    expect(again.code).toBe(0);

    // The owner account that the first serve created is still there in a new process.
    expect(fs.readFileSync(path.join(dataDir, 'initial-admin.txt'), 'utf8')).toMatch(
      /^email: admin@superinsight\.local\npassword: \S+\n$/,
    );
    const list = await run(['user', 'list'], cliEnv({ DATA_DIR: dataDir }));
    expect(list.code).toBe(0);
    expect(list.output).toMatch(/^admin@superinsight\.local\tactive\towner\t/m);
  }, 480_000);

  describe.skipIf(!hasServer)('on PostgreSQL', () => {
    it('migrate applies the history once; serve answers /health and /health/ready; SIGTERM stops it', async () => {
      const databaseUrl = await freshDatabaseUrl();
      const dataDir = tempDataDir();

      const first = await run(['migrate'], cliEnv({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl }));
      expect(first.output).toContain(`Applied ${expectedMigrations} migration(s)`);
      expect(first.code).toBe(0);

      const port = await freePort();
      const server = start(
        ['serve'],
        cliEnv({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl, PORT: String(port) }),
      );
      await waitFor(`http://127.0.0.1:${port}/health`, server);
      const ready = await waitFor(`http://127.0.0.1:${port}/health/ready`, server);
      expect(await ready.json()).toMatchObject({ status: 'ready' });
      const status = (await (await fetch(`http://127.0.0.1:${port}/system/status`)).json()) as {
        database: { driver: string };
      };
      expect(status.database.driver).toBe('pg');
      // The server path never creates an embedded database.
      expect(fs.existsSync(path.join(dataDir, 'pg'))).toBe(false);

      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });

      const again = await run(['migrate'], cliEnv({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl }));
      expect(again.output).toContain('Applied 0 migration(s)');
      expect(again.code).toBe(0);
    }, 480_000);

    it('user create, list and reset-password work on the database the server bootstrapped', async () => {
      const databaseUrl = await freshDatabaseUrl();
      const env = cliEnv({
        DATA_DIR: tempDataDir(),
        DATABASE_URL: databaseUrl,
        SUPERINSIGHT_ADMIN_EMAIL: 'owner@example.test',
        SUPERINSIGHT_ADMIN_PASSWORD: 'Sturdy-passphrase-4-cli-test',
      });
      const port = await freePort();
      const server = start(['serve'], { ...env, PORT: String(port) });
      await waitFor(`http://127.0.0.1:${port}/health/ready`, server);

      // Beside the running server: PostgreSQL has no directory lock.
      const created = await run(['user', 'create', '--email', 'ann@example.test', '--name', 'Ann'], env);
      expect(created.output).toContain('Created ann@example.test as annotator in default.');
      const password = /Password \(shown once\): (\S+)/.exec(created.output)?.[1];
      expect(password).toBeDefined();
      expect(created.code).toBe(0);

      const list = await run(['user', 'list'], env);
      expect(list.code).toBe(0);
      expect(list.output).toMatch(/^ann@example\.test\tactive\tannotator\tAnn$/m);
      expect(list.output).toMatch(/^owner@example\.test\tactive\towner\t/m);

      const duplicate = await run(['user', 'create', '--email', 'ann@example.test'], env);
      expect(duplicate.code).toBe(2);
      expect(duplicate.output).toContain('already exists');

      const reset = await run(['user', 'reset-password', '--email', 'ann@example.test'], env);
      expect(reset.code).toBe(0);
      const newPassword = /New password \(shown once\): (\S+)/.exec(reset.output)?.[1];
      expect(newPassword).toBeDefined();
      expect(newPassword).not.toBe(password);

      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
    }, 480_000);
  });
});
