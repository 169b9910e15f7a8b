/**
 * Migration drift check: `npm run db:check`.
 *
 * 1. The journal in drizzle/meta is linear: entries are numbered 0..n-1, their times rise,
 *    every tag has its .sql file and snapshot, every snapshot's prevId is the id of the one
 *    before it, and no .sql file or snapshot sits outside the journal.
 * 2. The schema files (the same globs as drizzle.config.ts) describe exactly the database
 *    that the last snapshot describes; otherwise it prints the SQL a migration would need.
 *
 * Exit code 0 when both hold, 1 otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateDrizzleJson, generateMigration } from 'drizzle-kit/api';
import { glob } from 'tinyglobby';
import drizzleConfig from '../drizzle.config.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** drizzle-kit's id for "no previous snapshot". */
const ORIGIN_ID = '00000000-0000-0000-0000-000000000000';

type Snapshot = Parameters<typeof generateMigration>[0];

interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
}

export interface DriftReport {
  /** Problems with the migration history itself; empty when it is linear and complete. */
  journalProblems: string[];
  /** SQL a new migration would need to bring the last snapshot to the schema files. */
  statements: string[];
  /** The snapshot compared against, relative to the root. */
  snapshot: string | undefined;
  ok: boolean;
}

function configSchemaGlobs(): string[] {
  const schema = (drizzleConfig as { schema?: string | string[] }).schema;
  if (!schema) throw new Error('drizzle.config.ts declares no schema files');
  return (Array.isArray(schema) ? schema : [schema]).map((p) => p.replace(/^\.\//, ''));
}

export function migrationsDir(root = ROOT): string {
  const out = (drizzleConfig as { out?: string }).out ?? './drizzle';
  return path.resolve(root, out);
}

/** The schema files drizzle-kit reads, found by the globs in drizzle.config.ts. */
export async function findSchemaFiles(root = ROOT): Promise<string[]> {
  const files = await glob(configSchemaGlobs(), { cwd: root, absolute: true });
  return files.sort();
}

/** Imports every schema file; the exports of all of them, as drizzle-kit's API wants them. */
export async function loadSchemaImports(files: string[]): Promise<Record<string, unknown>> {
  const imports: Record<string, unknown> = {};
  for (const file of files) {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) imports[`${file}#${name}`] = value;
  }
  return imports;
}

function snapshotPath(dir: string, tag: string): string {
  // drizzle-kit names a snapshot by the tag's numeric prefix: 0001_platform -> 0001_snapshot.json
  return path.join(dir, 'meta', `${tag.split('_')[0]}_snapshot.json`);
}

/** Checks that the history is one straight line; returns the problems found and the last snapshot. */
export function checkJournal(dir: string): {
  problems: string[];
  last: Snapshot | undefined;
  lastPath?: string;
} {
  const problems: string[] = [];
  const journalFile = path.join(dir, 'meta', '_journal.json');
  if (!fs.existsSync(journalFile)) return { problems: [`${journalFile} is missing`], last: undefined };
  let entries: JournalEntry[];
  try {
    entries = (JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { entries: JournalEntry[] }).entries;
  } catch (err) {
    return { problems: [`${journalFile} is not valid JSON: ${(err as Error).message}`], last: undefined };
  }
  let prevId = ORIGIN_ID;
  let prevWhen = Number.NEGATIVE_INFINITY;
  let last: Snapshot | undefined;
  let lastPath: string | undefined;
  const tags = new Set<string>();
  const snapshots = new Set<string>();
  entries.forEach((entry, i) => {
    const where = `journal entry ${i} (${entry.tag})`;
    if (entry.idx !== i) problems.push(`${where} has idx ${entry.idx}, expected ${i}`);
    // The migrator applies only migrations newer than the last one applied, so a time that
    // does not rise would be skipped silently on databases that already have its neighbours.
    if (!(entry.when > prevWhen)) problems.push(`${where} has when=${entry.when}, not after ${prevWhen}`);
    prevWhen = entry.when;
    if (tags.has(entry.tag)) problems.push(`${where} repeats the tag ${entry.tag}`);
    tags.add(entry.tag);
    if (!fs.existsSync(path.join(dir, `${entry.tag}.sql`)))
      problems.push(`${where}: ${entry.tag}.sql is missing`);
    const file = snapshotPath(dir, entry.tag);
    snapshots.add(path.basename(file));
    if (!fs.existsSync(file)) {
      problems.push(`${where}: ${path.relative(dir, file)} is missing`);
      return;
    }
    const snapshot = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot & { id: string; prevId: string };
    if (snapshot.prevId !== prevId) {
      problems.push(
        `${where}: snapshot prevId ${snapshot.prevId} does not chain to the previous id ${prevId} (two branches merged?)`,
      );
    }
    prevId = snapshot.id;
    last = snapshot;
    lastPath = file;
  });
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith('.sql') && !tags.has(name.slice(0, -4)))
      problems.push(`${name} is not in the journal (it would never be applied)`);
  }
  for (const name of fs.readdirSync(path.join(dir, 'meta'))) {
    if (name.endsWith('_snapshot.json') && !snapshots.has(name))
      problems.push(`meta/${name} belongs to no journal entry`);
  }
  if (entries.length === 0) problems.push('the journal has no entries');
  return { problems, last, lastPath };
}

/** Compares the schema (as `imports`) with the last snapshot of the history in `dir`. */
export async function checkDrift(options: {
  imports: Record<string, unknown>;
  dir?: string;
}): Promise<DriftReport> {
  const dir = options.dir ?? migrationsDir();
  const { problems, last, lastPath } = checkJournal(dir);
  let statements: string[] = [];
  if (last) {
    const current = generateDrizzleJson(options.imports, (last as { id: string }).id);
    statements = await generateMigration(last, current);
  }
  return {
    journalProblems: problems,
    statements,
    snapshot: lastPath && path.relative(ROOT, lastPath),
    ok: problems.length === 0 && statements.length === 0 && last !== undefined,
  };
}

async function main(): Promise<number> {
  const files = await findSchemaFiles();
  if (files.length === 0) {
    process.stderr.write('db:check: no schema files match drizzle.config.ts\n');
    return 1;
  }
  const report = await checkDrift({ imports: await loadSchemaImports(files) });
  if (report.journalProblems.length > 0) {
    process.stderr.write('db:check: the migration history is not linear:\n');
    for (const p of report.journalProblems) process.stderr.write(`  - ${p}\n`);
  }
  if (report.statements.length > 0) {
    process.stderr.write(
      `db:check: drift — the schema files (${files.length}) differ from ${report.snapshot}.\n` +
        'A migration would need:\n\n',
    );
    for (const s of report.statements) process.stderr.write(`${s.trim()}\n`);
    process.stderr.write('\nRun `npm run db:generate` and commit the new migration.\n');
  }
  if (report.ok) {
    process.stdout.write(
      `db:check: no drift (${files.length} schema files match ${report.snapshot}; history is linear)\n`,
    );
    return 0;
  }
  return 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
