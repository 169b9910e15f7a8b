import type { Server } from 'node:net';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { USER_HELP, userCommand } from './modules/identity/cli.ts';
import { startModules, wireModules } from './modules/index.ts';
import { licenseCommand } from './modules/license/cli.ts';
import { MasterKeyMismatchError } from './platform/crypto/secrets.ts';
import { BackupError, backup, restore } from './platform/db/backup.ts';
import { DirLockedError, openDatabase } from './platform/db/client.ts';
import { type Dumpable, openControlSocket } from './platform/db/control-socket.ts';
import { runMigrations } from './platform/db/migrate.ts';
import { Problem } from './platform/errors/problem.ts';
import { type Platform, startPlatform } from './platform/index.ts';
import { VERSION } from './platform/version.ts';

const HELP = `superinsight ${VERSION}

Usage: superinsight <command>

Commands:
  serve      Start the API and in-process job workers (default)
  migrate    Apply pending database migrations and exit
  worker     Run job workers only (no HTTP)
  user       Create, list and reset accounts (superinsight user --help)
  backup     Write a backup of the database: superinsight backup --out FILE
  restore    Restore a backup into an empty database: superinsight restore FILE
  license    The vendor's license tools: keygen, issue, activate-offline (superinsight license --help)
  --help     Show this help

Configuration is read from the environment; see README.md.
`;

// In-flight requests get this long to finish; a stuck one must not keep the process alive.
const SHUTDOWN_GRACE_MS = 15_000;

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      setTimeout(() => {
        console.error(`superinsight: shutdown took longer than ${SHUTDOWN_GRACE_MS} ms; exiting`);
        process.exit(1);
      }, SHUTDOWN_GRACE_MS).unref();
      stop().then(
        () => process.exit(0),
        (err) => {
          console.error(err);
          process.exit(1);
        },
      );
    });
  }
}

/**
 * On PGlite the process holding the data directory hands out backups over a socket in
 * DATA_DIR (control-socket.ts); a socket that cannot be opened costs only that.
 */
async function openBackupSocket(platform: Platform): Promise<void> {
  const { database, config, log } = platform;
  if (database.driver !== 'pglite') return;
  try {
    const socket = await openControlSocket(config.dataDir, database.pglite as unknown as Dumpable, log);
    platform.onClose(() => void socket.close());
  } catch (err) {
    log.warn(
      { err },
      'the backup socket could not be opened; `superinsight backup` needs this process stopped',
    );
  }
}

async function serve(platform: Platform): Promise<void> {
  const app = await buildApp(platform);
  try {
    wireModules(platform);
    await openBackupSocket(platform);
    await platform.startJobs({ work: platform.config.inProcessWorker });
    await startModules(platform);
  } catch (err) {
    await platform.close();
    throw err;
  }
  // Stop taking requests and let in-flight ones finish, then stop workers and the database.
  onSignals(async () => {
    platform.log.info('shutting down');
    await app.close();
    await platform.close();
  });
  await app.listen({ port: platform.config.port, host: platform.config.host });
  process.stdout.write(`${consoleLine(app.server.address(), platform.config.host)}\n`);
}

/** The line that tells someone who just ran `npm start` where the console is. */
function consoleLine(address: ReturnType<Server['address']>, host: string): string {
  const port = typeof address === 'object' && address ? address.port : undefined;
  // A wildcard address is reachable on this machine as localhost.
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `SuperInsight is ready: open http://${shown}:${port}/ in a browser (API reference at /docs).`;
}

async function worker(platform: Platform): Promise<void> {
  wireModules(platform);
  await openBackupSocket(platform);
  await platform.startJobs({ work: true });
  onSignals(() => platform.close());
  platform.log.info('worker started');
}

async function main(argv: string[]): Promise<void> {
  const command = argv[0] ?? 'serve';
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  if (command === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (command === 'license') {
    process.exitCode = licenseCommand(
      argv.slice(1),
      (l) => process.stdout.write(`${l}\n`),
      (l) => process.stderr.write(`${l}\n`),
    );
    return;
  }
  const config = loadConfig();
  const log = pino({ level: config.logLevel });
  switch (command) {
    case 'serve':
      return serve(await startPlatform(config, log));
    case 'worker':
      return worker(await startPlatform(config, log));
    case 'migrate': {
      const database = await openDatabase({
        databaseUrl: config.databaseUrl,
        pgliteDir: `${config.dataDir}/pg`,
      });
      try {
        const { applied } = await runMigrations(database);
        process.stdout.write(`Applied ${applied} migration(s); the database is at head.\n`);
      } finally {
        await database.close();
      }
      return;
    }
    case 'user': {
      if (!argv[1] || argv[1] === '--help' || argv[1] === '-h') {
        process.stdout.write(USER_HELP);
        return;
      }
      const database = await openDatabase({
        databaseUrl: config.databaseUrl,
        pgliteDir: `${config.dataDir}/pg`,
      });
      try {
        await runMigrations(database);
        process.exitCode = await userCommand(database.db, config, argv.slice(1), (line) =>
          process.stdout.write(`${line}\n`),
        );
      } finally {
        await database.close();
      }
      return;
    }
    case 'backup': {
      const { values } = parseArgs({ args: argv.slice(1), options: { out: { type: 'string' } } });
      if (!values.out) {
        process.stderr.write('Usage: superinsight backup --out FILE\n');
        process.exitCode = 2;
        return;
      }
      return backup(config, values.out, (line) => process.stdout.write(`${line}\n`));
    }
    case 'restore': {
      const { positionals } = parseArgs({ args: argv.slice(1), allowPositionals: true, options: {} });
      if (positionals.length !== 1) {
        process.stderr.write('Usage: superinsight restore FILE\n');
        process.exitCode = 2;
        return;
      }
      return restore(config, positionals[0]!, (line) => process.stdout.write(`${line}\n`));
    }
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${HELP}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof Problem || err instanceof TypeError) {
    const why = err instanceof Problem ? (err.extra.errors ?? []).map((e) => `; ${e.message}`).join('') : '';
    process.stderr.write(`superinsight: ${err.message}${why}\n`);
    process.exit(2);
  }
  if (err instanceof BackupError) {
    process.stderr.write(`superinsight: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  if (err instanceof ConfigError || err instanceof DirLockedError || err instanceof MasterKeyMismatchError) {
    process.stderr.write(`superinsight: ${err.message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
  console.error(err);
  process.exit(1);
});
