import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { MultipartFile } from '@fastify/multipart';
import { and, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { Principal } from '../../../platform/auth/principal.ts';
import { type CopyIn, onOneConnection, type Tx } from '../../../platform/db/client.ts';
import { rowsOf } from '../../../platform/db/sql.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { badRequest, Problem } from '../../../platform/errors/problem.ts';
import { type Outbound, OutboundError } from '../../../platform/http/outbound.ts';
import type { Platform } from '../../../platform/index.ts';
import {
  type JobContext,
  type JobQueue,
  type StrandedRun,
  WORKER_STOPPED,
} from '../../../platform/jobs/queue.ts';
import { validateResult } from '../label-config/label-config.ts';
import { imports, type ParsedConfig, projects } from '../schema.ts';
import { searchWordsOf } from '../tasks/task-search.ts';
import { IMPORT_JOB } from './import.jobs.ts';
import {
  type AnnotatorRef,
  type ColumnMapping,
  canonicalJson,
  formatFromFilename,
  type ImportFormat,
  type ImportTask,
  normalizeTask,
  RecordError,
  readRecords,
  sha256Hex,
} from './import.parsers.ts';

/**
 * Imports run as a job over a staged file in one pass: it streams the file, checks each
 * record and writes documents, tasks, annotations and predictions in one transaction, in
 * multi-row batches. The first bad record stops the writing (the file is still read on for
 * the next errors) and rolls everything back, so nothing of a malformed file lands; a
 * crash rolls back too, and the retried job starts over from the staged file.
 *
 * The import row's state decides whether there is anything to do, under its row lock: the
 * write transaction locks it first and writes only from `queued` or `running`, and sets it
 * `completed` with the rows. So the same import retried, resumed or run twice at once
 * adds its rows once; the second run waits for the lock and finds it done.
 */

/** The states from which an import still has its rows to write. */
const PENDING = ['queued', 'running'] as const;
const isPending = (status: string) => (PENDING as readonly string[]).includes(status);
/** Changes an import row only while its rows are still to be written. */
const pendingImport = (importId: number) =>
  and(eq(imports.id, importId), inArray(imports.status, [...PENDING]));

/** The largest file an import accepts. */
export const MAX_IMPORT_BYTES = 2 * 1024 ** 3;

export const IMPORT_BATCH = 5000;
export const MAX_ERRORS = 20;

export interface ImportJobPayload {
  importId: number;
  projectId: number;
}

export interface ImportError {
  record: number | null;
  line: number | null;
  message: string;
}

export interface ImportCounts {
  [key: string]: number;
  tasks: number;
  annotations: number;
  predictions: number;
  duplicates_skipped: number;
}

/** Where uploads of a tenant wait for their import job. */
export function stagingDir(dataDir: string, tenantId: string): string {
  return path.join(dataDir, 'imports', tenantId);
}

/** An upload written to the tenant's staging directory, not yet an import. */
export interface StagedUpload {
  file: string;
  format: ImportFormat;
  source: string;
  bytes: number;
}

/** Writes an upload to a fresh name in dir; the file is removed when writing fails. */
async function stage(dir: string, write: (upload: string) => Promise<Omit<StagedUpload, 'file'>>) {
  fs.mkdirSync(dir, { recursive: true });
  const upload = path.join(dir, `upload-${randomUUID()}`);
  try {
    return { file: upload, ...(await write(upload)) };
  } catch (err) {
    fs.rmSync(upload, { force: true });
    throw err;
  }
}

/** Stages a multipart file; its format is the one asked for, or told by its name. */
export function stageFile(
  dir: string,
  file: MultipartFile | undefined,
  format: ImportFormat | undefined,
  config: ParsedConfig,
): Promise<StagedUpload> {
  return stage(dir, async (upload) => {
    if (!file)
      throw badRequest('import.no_file', 'The multipart body has no file.', [
        { path: 'body/file', message: 'is required' },
      ]);
    const chosen = format ?? formatFromFilename(file.filename);
    if (!chosen) {
      file.file.resume();
      throw badRequest(
        'import.file_type',
        `Cannot tell the format of "${file.filename}"; name it .json, .jsonl, .csv, .tsv or .txt, or pass ?format=.`,
        [{ path: 'querystring/format', message: 'is required for this file name' }],
        { filename: file.filename },
      );
    }
    if (chosen === 'txt') textKeyOf(config);
    await pipeline(file.file, fs.createWriteStream(upload));
    if (file.file.truncated)
      throw new Problem(
        413,
        'import.file_too_large',
        `The file is larger than the ${MAX_IMPORT_BYTES / 1024 ** 3} GiB limit.`,
        { params: { limit_gib: MAX_IMPORT_BYTES / 1024 ** 3 } },
      );
    return { format: chosen, source: `file:${file.filename}`, bytes: fs.statSync(upload).size };
  });
}

/** Checks a JSON body of tasks at once (nothing is staged when one is bad), then stages it. */
export function stageBody(dir: string, body: unknown, config: ParsedConfig): Promise<StagedUpload> {
  return stage(dir, async (upload) => {
    // One task object is a list of one, as Label Studio takes it.
    const items = body !== null && typeof body === 'object' && !Array.isArray(body) ? [body] : body;
    if (!Array.isArray(items))
      throw badRequest(
        'import.body_type',
        'Send a JSON array of tasks (or one task object), or a multipart file.',
        [{ path: 'body', message: 'must be an array or an object' }],
      );
    if (items.length === 0)
      throw badRequest('import.empty', 'The array holds no tasks.', [
        { path: 'body', message: 'must not be empty' },
      ]);
    const errors = checkRecords(items, config);
    if (errors.length) {
      throw badRequest(
        'import.too_many_tasks',
        `${errors.length === 20 ? 'At least 20' : errors.length} task(s) are invalid; nothing was imported. Record ${errors[0]!.record}: ${errors[0]!.message}`,
        errors.map((e) => ({ path: `body/${e.record! - 1}`, message: e.message })),
        { count: errors.length, record: errors[0]!.record, message: errors[0]!.message },
      );
    }
    const text = JSON.stringify(items);
    await fs.promises.writeFile(upload, text);
    return { format: 'json', source: 'body', bytes: Buffer.byteLength(text) };
  });
}

/** Stages pasted text (or any text body) in the format the caller names. */
export function stageText(
  dir: string,
  text: string,
  format: ImportFormat | undefined,
  config: ParsedConfig,
): Promise<StagedUpload> {
  return stage(dir, async (upload) => {
    if (!format)
      throw badRequest(
        'import.text_format_required',
        'Say which format the text is in: ?format=json, jsonl, csv, tsv or txt.',
        [{ path: 'querystring/format', message: 'is required for a text body' }],
      );
    if (text.trim() === '')
      throw badRequest('import.text_empty', 'The text is empty.', [
        { path: 'body', message: 'must not be empty' },
      ]);
    if (format === 'txt') textKeyOf(config);
    await fs.promises.writeFile(upload, text);
    return { format, source: 'text', bytes: Buffer.byteLength(text) };
  });
}

/** How long fetching a file from a URL may take, reading included. */
export const URL_FETCH_TIMEOUT_MS = 300_000;
const URL_REDIRECTS = 3;

const FORMAT_OF_TYPE: Record<string, ImportFormat> = {
  'application/json': 'json',
  'application/x-ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
  'application/x-jsonlines': 'jsonl',
  'text/csv': 'csv',
  'text/tab-separated-values': 'tsv',
};

/** Opens a URL through the guarded client, following (and re-checking) a few redirects. */
async function openUrl(outbound: Outbound, url: string, signal: AbortSignal) {
  let current = url;
  for (let hop = 0; ; hop++) {
    const res = await outbound.stream(current, { timeoutMs: URL_FETCH_TIMEOUT_MS, signal });
    const location = res.headers.location;
    if (res.status < 300 || res.status >= 400 || !location || hop >= URL_REDIRECTS)
      return { ...res, url: current };
    res.body.destroy();
    current = new URL(location, current).toString();
  }
}

const urlProblem = (detail: string) =>
  badRequest('import.url_failed', detail, [{ path: 'body/url', message: detail }], { reason: detail });

/**
 * Fetches a task file from a URL through the platform's guarded outbound client (no
 * private or loopback addresses unless OUTBOUND_ALLOW_CIDRS allows them), streaming it to
 * the staging directory within MAX_IMPORT_BYTES; the import then runs as a job like an upload.
 * Its format is the one asked for, else told by the URL's file name, else by its content type.
 */
export function stageUrl(
  dir: string,
  outbound: Outbound,
  url: string,
  format: ImportFormat | undefined,
  config: ParsedConfig,
): Promise<StagedUpload> {
  return stage(dir, async (upload) => {
    const controller = new AbortController();
    let res: Awaited<ReturnType<typeof openUrl>>;
    try {
      res = await openUrl(outbound, url, controller.signal);
    } catch (err) {
      if (err instanceof OutboundError) throw urlProblem(`The file could not be fetched: ${err.message}.`);
      throw err;
    }
    try {
      if (res.status < 200 || res.status >= 300)
        throw urlProblem(`The URL answered HTTP ${res.status}, not the file.`);
      const contentType = String(res.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim()
        .toLowerCase();
      const chosen = format ?? formatFromFilename(new URL(res.url).pathname) ?? FORMAT_OF_TYPE[contentType];
      if (!chosen)
        throw badRequest(
          'import.url_format_unknown',
          `Cannot tell the format of the file at this URL (content type "${contentType || 'none'}"); pass format (json, jsonl, csv, tsv or txt).`,
          [{ path: 'body/format', message: 'is required for this URL' }],
        );
      if (chosen === 'txt') textKeyOf(config);
      let bytes = 0;
      await pipeline(
        res.body,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            bytes += chunk.length;
            if (bytes > MAX_IMPORT_BYTES)
              throw new Problem(
                413,
                'import.file_too_large',
                `The file is larger than the ${MAX_IMPORT_BYTES / 1024 ** 3} GiB limit.`,
                { params: { limit_gib: MAX_IMPORT_BYTES / 1024 ** 3 } },
              );
            yield chunk;
          }
        },
        fs.createWriteStream(upload),
      ).catch((err: unknown) => {
        if (err instanceof Problem) throw err;
        throw urlProblem('The download was cut off or took too long.');
      });
      return { format: chosen, source: `url:${url.slice(0, 500)}`, bytes };
    } finally {
      controller.abort();
    }
  });
}

/**
 * The `columns` parameter (JSON: CSV/TSV header name → data key, or null to drop the
 * column), checked; undefined when absent.
 */
export function columnMapping(raw: unknown, format: ImportFormat | undefined): ColumnMapping | undefined {
  if (raw === undefined) return undefined;
  const fail = (message: string) =>
    badRequest(
      'import.mapping_invalid',
      `The column mapping is not valid: ${message}.`,
      [{ path: 'columns', message }],
      {
        reason: message,
      },
    );
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw fail('it must be a JSON object');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fail('it must be an object');
  if (format !== 'csv' && format !== 'tsv') throw fail('only CSV and TSV files have columns to map');
  const targets = new Set<string>();
  for (const [column, key] of Object.entries(value)) {
    if (key === null) continue;
    if (typeof key !== 'string' || key.trim() === '')
      throw fail(`"${column}" must map to a data key name or to null (dropped)`);
    if (targets.has(key)) throw fail(`two columns map to "${key}"`);
    targets.add(key);
  }
  return value as ColumnMapping;
}

/**
 * Records the import and enqueues its job in one transaction, the staged file moved to the
 * import's id; audit is called inside that transaction. When it fails, the file is removed.
 * The project may be made in that same transaction (the sample project): a function then
 * creates it and gives its id.
 */
export async function queueImport(
  runTx: <T>(work: (tx: Tx) => Promise<T>) => Promise<T>,
  queue: JobQueue,
  principal: Principal,
  project: number | ((tx: Tx) => Promise<number>),
  upload: StagedUpload,
  options: { dedupe: boolean; columns?: ColumnMapping },
  audit: (ids: { importId: number; jobId: string }) => void,
): Promise<{ importId: number; jobId: string }> {
  let staged: string | undefined;
  try {
    return await runTx(async (tx) => {
      const projectId = typeof project === 'number' ? project : await project(tx);
      const [imp] = await tx
        .insert(imports)
        .values({
          tenantId: principal.tenantId,
          projectId,
          format: upload.format,
          source: upload.source,
          options: { dedupe: options.dedupe, ...(options.columns ? { columns: options.columns } : {}) },
          createdBy: principal.userId,
        })
        .returning({ id: imports.id });
      staged = path.join(path.dirname(upload.file), String(imp!.id));
      fs.renameSync(upload.file, staged);
      const jobId = await queue.enqueue(tx, {
        tenantId: principal.tenantId,
        kind: IMPORT_JOB,
        payload: { importId: imp!.id, projectId },
        createdBy: principal.userId,
      });
      await tx.update(imports).set({ jobId, stagedPath: staged }).where(eq(imports.id, imp!.id));
      audit({ importId: imp!.id, jobId });
      return { importId: imp!.id, jobId };
    });
  } catch (err) {
    fs.rmSync(upload.file, { force: true });
    if (staged) fs.rmSync(staged, { force: true });
    throw err;
  }
}

/** The one data key TXT lines go into; 400 unless the config has exactly one. */
export function textKeyOf(config: ParsedConfig): string {
  if (config.dataKeys.length !== 1) {
    throw badRequest(
      'import.too_large',
      `A TXT import puts each line into the labeling config's one data key, but this config has ${config.dataKeys.length} (${config.dataKeys.map((k) => `$${k}`).join(', ') || 'none'}).`,
      [{ path: 'querystring/format', message: 'TXT needs a config with exactly one data key' }],
      { keys: config.dataKeys.length },
    );
  }
  return config.dataKeys[0]!;
}

/** Checks the records of a JSON body at once; the first MAX_ERRORS problems. */
export function checkRecords(items: unknown[], config: ParsedConfig): ImportError[] {
  const errors: ImportError[] = [];
  for (const [i, item] of items.entries()) {
    try {
      fittedTask(item, config.dataKeys, config);
    } catch (err) {
      errors.push({ record: i + 1, line: null, message: (err as Error).message });
      if (errors.length >= MAX_ERRORS) break;
    }
  }
  return errors;
}

/** `annotations[0].result/1/value/choices/0` as `annotations[0].result[1].value.choices[0]`. */
const readablePath = (p: string) => p.replace(/\/(\d+)/g, '[$1]').replaceAll('/', '.');

/**
 * A record as a task whose annotation and prediction results fit the labeling config, as
 * the API's own writes must: a result naming a control the config lacks would be stored
 * and later break the editor that opens it. Throws naming the record's result and field.
 */
function fittedTask(value: unknown, dataKeys: readonly string[], config: ParsedConfig): ImportTask {
  const task = normalizeTask(value, dataKeys);
  const check = (kind: string, items: { result: unknown[] }[]) => {
    for (const [i, item] of items.entries()) {
      const [first] = validateResult(config, item.result, `${kind}[${i}].result`);
      if (first) throw new Error(`${readablePath(first.path)} ${first.message}`);
    }
  };
  check('annotations', task.annotations);
  check('predictions', task.predictions);
  return task;
}

interface Target {
  tenantId: string;
  userId: string | null;
  importId: number;
  projectId: number;
  overlap: number;
  overlapCoverage: number;
  dedupe: boolean;
  /** The project's skip policy is `ignore`: cancelled annotations count toward the overlap. */
  skipCounts: boolean;
  sourceConfig: Record<string, unknown>;
}

/** Resolves annotators of a file to tenant members (by e-mail, or by id), remembering answers. */
class Annotators {
  private readonly byEmail = new Map<string, string | null>();
  private readonly byId = new Map<string, string | null>();

  async load(tx: Tx, tenantId: string, refs: AnnotatorRef[]): Promise<void> {
    const emails = new Set<string>();
    const ids = new Set<string>();
    for (const r of refs) {
      if (r.email && !this.byEmail.has(r.email.toLowerCase())) emails.add(r.email.toLowerCase());
      if (r.id && !this.byId.has(r.id.toLowerCase())) ids.add(r.id.toLowerCase());
    }
    if (emails.size === 0 && ids.size === 0) return;
    if (this.byEmail.size + this.byId.size > 100_000) {
      this.byEmail.clear();
      this.byId.clear();
    }
    const result = await tx.execute(sql`
      select u.id::text as id, lower(u.email) as email
      from users u join tenant_members m on m.user_id = u.id and m.tenant_id = ${tenantId}::uuid
      where lower(u.email) in (select jsonb_array_elements_text(${JSON.stringify([...emails])}::jsonb))
         or u.id::text in (select jsonb_array_elements_text(${JSON.stringify([...ids])}::jsonb))`);
    for (const e of emails) this.byEmail.set(e, null);
    for (const i of ids) this.byId.set(i, null);
    for (const row of rowsOf<{ id: string; email: string }>(result)) {
      this.byEmail.set(row.email, row.id);
      this.byId.set(row.id, row.id);
    }
  }

  /** The member an annotation maps to, else the external name to keep. */
  resolve(ref: AnnotatorRef | null): { userId: string | null; external: string | null } {
    if (!ref) return { userId: null, external: null };
    const byEmail = ref.email ? this.byEmail.get(ref.email.toLowerCase()) : undefined;
    if (byEmail) return { userId: byEmail, external: null };
    const byId = ref.id ? this.byId.get(ref.id.toLowerCase()) : undefined;
    if (byId) return { userId: byId, external: null };
    return { userId: null, external: ref.name ?? ref.email ?? ref.id ?? null };
  }
}

/** Pass 2 writer: one batch of tasks as three multi-row statements. */
class BatchWriter {
  private readonly annotators = new Annotators();
  private sequences: { d: string; t: string } | undefined;
  /** The temporary staging table exists (COPY path). */
  private staged = false;
  /** The temporary table of the hashes seen so far exists (dedupe). */
  private seenTable = false;
  /** Tasks written so far (the overlap coverage spreads over them). */
  written = 0;
  readonly counts: ImportCounts = { tasks: 0, annotations: 0, predictions: 0, duplicates_skipped: 0 };

  constructor(
    private readonly tx: Tx,
    private readonly target: Target,
    private readonly copyIn: CopyIn | undefined,
  ) {}

  private overlapFor(index: number): number {
    const { overlap, overlapCoverage: cov } = this.target;
    if (overlap <= 1 || cov >= 100) return Math.max(1, overlap);
    // Spread the covered share evenly: the task that crosses each whole step gets the overlap.
    return Math.floor(((index + 1) * cov) / 100) > Math.floor((index * cov) / 100) ? overlap : 1;
  }

  async write(batch: ImportTask[]): Promise<void> {
    const { tx, target } = this;
    // The canonical text is hashed and also sent as the data (jsonb orders keys itself).
    let items = batch.map((task) => {
      const json = canonicalJson(task.data);
      return { task, json, hash: sha256Hex(json) };
    });
    if (target.dedupe) items = await this.unseen(items);
    if (items.length === 0) return;

    // Ids are drawn here when annotations or predictions must name their task; otherwise
    // the staging table draws them as it is filled (a round trip less per batch).
    const linked = items.some((i) => i.task.annotations.length > 0 || i.task.predictions.length > 0);
    const ids = linked || !this.copyIn ? await this.drawIds(items.length) : undefined;
    await this.annotators.load(
      tx,
      target.tenantId,
      items.flatMap((i) => i.task.annotations.map((a) => a.completedBy).filter((r) => r !== null)),
    );

    const taskRows: TaskRow[] = [];
    const annotationRows: unknown[] = [];
    const predictionRows: unknown[] = [];
    for (const [i, { task, hash }] of items.entries()) {
      const taskId = ids?.[i]?.t ?? null;
      const overlap = this.overlapFor(this.written++);
      let done = 0;
      let cancelled = 0;
      for (const a of task.annotations) {
        if (a.wasCancelled) cancelled++;
        else done++;
        const who = this.annotators.resolve(a.completedBy);
        annotationRows.push({
          t: taskId,
          u: who.userId,
          e: who.external,
          r: a.result,
          l: a.leadTime,
          c: a.wasCancelled,
          g: a.groundTruth,
          ca: a.createdAt,
          ua: a.updatedAt,
        });
      }
      let score: number | null = null;
      for (const p of task.predictions) {
        if (p.score !== null) score = score === null ? p.score : Math.min(score, p.score);
        predictionRows.push({ t: taskId, r: p.result, s: p.score, m: p.modelVersion, ca: p.createdAt });
      }
      // As the labeling stream counts: under the `ignore` skip policy a skip counts toward the overlap.
      const finished = done + (target.skipCounts ? cancelled : 0) >= overlap;
      taskRows.push({
        d: ids?.[i]?.d ?? null,
        t: taskId,
        data: task.data,
        meta: task.meta,
        w: searchWordsOf(task.data),
        h: hash,
        o: overlap,
        ta: done,
        ca: cancelled,
        tp: task.predictions.length,
        f: finished,
        s: score,
        st: finished ? 'completed' : done + cancelled > 0 ? 'in_progress' : 'pending',
      });
    }

    if (this.copyIn)
      await this.insertByCopy(
        taskRows,
        items.map((i) => i.json),
        this.copyIn,
      );
    else await this.insertByRecordset(taskRows);
    const { tenantId, projectId, importId } = target;
    if (annotationRows.length) {
      await tx.execute(sql`
        insert into annotations (tenant_id, project_id, task_id, completed_by, completed_by_external, result,
                                 lead_time, was_cancelled, ground_truth, import_id, created_at, updated_at)
        select ${tenantId}::uuid, ${projectId}, x.t, x.u, x.e, x.r, x.l, x.c, x.g, ${importId},
               coalesce(x.ca, now()), coalesce(x.ua, x.ca, now())
        from jsonb_to_recordset(${JSON.stringify(annotationRows)}::jsonb) as x(
          t bigint, u uuid, e text, r jsonb, l real, c boolean, g boolean, ca timestamptz, ua timestamptz)`);
    }
    if (predictionRows.length) {
      await tx.execute(sql`
        insert into predictions (tenant_id, project_id, task_id, result, score, model_version, import_id, created_at)
        select ${tenantId}::uuid, ${projectId}, x.t, x.r, x.s, x.m, ${importId}, coalesce(x.ca, now())
        from jsonb_to_recordset(${JSON.stringify(predictionRows)}::jsonb) as x(
          t bigint, r jsonb, s real, m text, ca timestamptz)`);
    }
    this.counts.tasks += items.length;
    this.counts.annotations += annotationRows.length;
    this.counts.predictions += predictionRows.length;
  }

  /**
   * The items whose hash neither the project nor an earlier item of this import holds; the
   * rest count as duplicates. The project's hashes are read once, into a temporary set that
   * the import's own hashes join: documents keep no index on their hash, which would cost
   * every import a random index insert per task for an option few imports ask for.
   */
  private async unseen<T extends { hash: string }>(items: T[]): Promise<T[]> {
    const { tx, target } = this;
    if (!this.seenTable) {
      await tx.execute(sql`create temp table import_seen (h text primary key) on commit drop`);
      await tx.execute(sql`
        insert into import_seen select distinct content_hash from documents where project_id = ${target.projectId}`);
      this.seenTable = true;
    }
    const hashes = JSON.stringify(items.map((i) => i.hash));
    // Marks the batch's hashes as seen and answers those that already were.
    const existing = rowsOf<{ h: string }>(
      await tx.execute(sql`
        with batch as (select distinct h from jsonb_array_elements_text(${hashes}::jsonb) as b(h)),
        added as (insert into import_seen select h from batch on conflict do nothing returning h)
        select h from batch except select h from added`),
    );
    const seen = new Set(existing.map((r) => r.h));
    const kept: T[] = [];
    for (const item of items) {
      if (seen.has(item.hash)) continue;
      seen.add(item.hash);
      kept.push(item);
    }
    this.counts.duplicates_skipped += items.length - kept.length;
    return kept;
  }

  private async seqs(): Promise<{ d: string; t: string }> {
    this.sequences ??= rowsOf<{ d: string; t: string }>(
      await this.tx.execute(
        sql`select pg_get_serial_sequence('documents', 'id') as d, pg_get_serial_sequence('tasks', 'id') as t`,
      ),
    )[0]!;
    return this.sequences;
  }

  /** Document and task ids for n tasks, so each task can name its document in the same statement. */
  private async drawIds(n: number): Promise<{ d: string; t: string }[]> {
    const seq = await this.seqs();
    return rowsOf<{ d: string; t: string }>(
      await this.tx.execute(sql`
        select nextval(${seq.d}::regclass)::text as d, nextval(${seq.t}::regclass)::text as t
        from generate_series(1, ${n})`),
    );
  }

  /**
   * PostgreSQL: the batch is COPYed into a temporary table (no WAL, no RLS, the fastest
   * parse there is), then inserted into documents and tasks by one set-based statement,
   * which RLS checks as any other insert.
   */
  private async insertByCopy(rows: TaskRow[], jsons: string[], copyIn: CopyIn): Promise<void> {
    const { tx } = this;
    if (!this.staged) {
      // Created as the application role, inside the import's transaction, gone at its end.
      // Ids the batch did not draw come from the tables' own sequences.
      const seq = await this.seqs();
      const defaults = STAGE_COLUMNS.replace(
        'd bigint',
        `d bigint default nextval(${literal(seq.d)}::regclass)`,
      ).replace('t bigint', `t bigint default nextval(${literal(seq.t)}::regclass)`);
      await tx.execute(sql.raw(`create temp table import_stage (${defaults}) on commit drop`));
      this.staged = true;
    }
    const withIds = rows[0]?.d !== null;
    await copyIn(
      `copy import_stage ${withIds ? '' : `(${STAGE_NAMES.slice(2).join(', ')})`} from stdin`,
      rows.map((r, i) => copyLine(r, jsons[i]!, withIds)).join(''),
    );
    await tx.execute(sql`${this.insertFrom(sql`import_stage`)}`);
    await tx.execute(sql`truncate import_stage`);
  }

  /** PGlite: the batch as one JSON parameter, expanded by jsonb_to_recordset. */
  private async insertByRecordset(rows: TaskRow[]): Promise<void> {
    await this.tx.execute(
      this.insertFrom(
        sql`(select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(${sql.raw(STAGE_COLUMNS)}))`,
      ),
    );
  }

  /** Documents and tasks from a source of TaskRow columns, in one statement. */
  private insertFrom(source: SQL): SQL {
    const { tenantId, projectId, importId, userId, sourceConfig } = this.target;
    return sql`
      with src as (select * from ${source} s), docs as (
        insert into documents (id, tenant_id, project_id, source_type, source_config, content, content_hash)
        overriding system value
        select d, ${tenantId}::uuid, ${projectId}, 'import', ${JSON.stringify(sourceConfig)}::jsonb, data, h
        from src
      )
      insert into tasks (id, tenant_id, project_id, document_id, import_id, data, meta, status, overlap,
                         total_annotations, cancelled_annotations, total_predictions, is_finished,
                         prediction_score, updated_by, search_words)
      overriding system value
      select t, ${tenantId}::uuid, ${projectId}, d, ${importId}, data, meta, st, o, ta, ca, tp, f, s,
             ${userId}::uuid, w
      from src`;
  }
}

/** One task of a batch as the staging table (and jsonb_to_recordset) holds it. */
interface TaskRow {
  /** Null: drawn by the staging table. */
  d: string | null;
  t: string | null;
  data: Record<string, unknown>;
  meta: Record<string, unknown>;
  /** The data's words for full-text search, when it holds Chinese (tasks.search_words). */
  w: string | null;
  h: string;
  o: number;
  ta: number;
  ca: number;
  tp: number;
  f: boolean;
  s: number | null;
  st: string;
}

const STAGE_COLUMNS =
  'd bigint, t bigint, data jsonb, meta jsonb, h text, o int, ta int, ca int, tp int, f boolean, s real, st text, w text';
const STAGE_NAMES = STAGE_COLUMNS.split(', ').map((c) => c.split(' ')[0]!);

/** A catalogue name as an SQL string literal. */
const literal = (name: string) => `'${name.replaceAll("'", "''")}'`;

/** COPY text format escapes backslashes; JSON text never holds a raw tab or newline. */
const copyText = (json: string) => (json.includes('\\') ? json.replaceAll('\\', '\\\\') : json);
const copyObject = (value: Record<string, unknown>) => {
  for (const _ in value) return copyText(JSON.stringify(value));
  return '{}';
};

/** A TaskRow, with its data as JSON text, as a line of COPY text format in STAGE_COLUMNS order (without the ids when not drawn). */
function copyLine(r: TaskRow, data: string, withIds: boolean): string {
  return `${withIds ? `${r.d}\t${r.t}\t` : ''}${copyText(data)}\t${copyObject(r.meta)}\t${r.h}\t${r.o}\t${r.ta}\t${r.ca}\t${r.tp}\t${r.f}\t${r.s ?? '\\N'}\t${r.st}\t${r.w === null ? '\\N' : copyText(r.w)}\n`;
}

/** The database's reason for a failed statement, without drizzle's echo of the query and its (large) parameters. */
function reasonOf(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return String(e.cause?.message ?? e.message ?? err).slice(0, 500);
}

/** Throttles progress reports to about one a second. */
function throttled(report: (fraction: number) => Promise<void>) {
  let last = 0;
  let busy = false;
  return (fraction: number) => {
    const now = Date.now();
    if (busy || now - last < 1000) return;
    last = now;
    busy = true;
    report(fraction)
      .catch(() => {})
      .finally(() => {
        busy = false;
      });
  };
}

/** The import job: check and apply the staged file in one pass, atomically. */
export async function runImport(
  platform: Platform,
  ctx: JobContext<ImportJobPayload>,
): Promise<Record<string, unknown>> {
  const db = platform.database.db;
  const scope = { tenantId: ctx.tenantId, userId: ctx.createdBy ?? undefined };
  const { importId, projectId } = ctx.payload;
  const loaded = await inTenant(db, scope, async (tx) => {
    const [imp] = await tx.select().from(imports).where(eq(imports.id, importId));
    const [project] = await tx
      .select()
      .from(projects)
      .where(
        and(eq(projects.id, projectId), eq(projects.tenantId, ctx.tenantId), isNull(projects.deletingSince)),
      );
    if (imp && project && isPending(imp.status))
      await tx.update(imports).set({ status: 'running' }).where(pendingImport(importId));
    return { imp, project };
  });
  const { imp, project } = loaded;
  if (!imp || !project) throw badRequest('import.gone', 'The import or its project no longer exists.');
  if (!isPending(imp.status)) return { import_id: importId, skipped: `the import is ${imp.status}` };
  const file = imp.stagedPath;
  if (!file) return missingFile(platform, scope, importId);
  const format = imp.format as ImportFormat;
  const config = project.parsedConfig;
  const textKey = format === 'txt' ? textKeyOf(config) : undefined;
  // TXT records are made from the data key itself; other formats must carry every key.
  const dataKeys = format === 'txt' ? [] : config.dataKeys;

  // On PGlite the one connection is inside the import's transaction, so progress waits for the end.
  const canReport = platform.database.driver !== 'pglite';
  let counts: ImportCounts | null;
  try {
    counts = await applyFile(
      platform,
      scope,
      ctx,
      {
        file,
        format,
        textKey,
        dataKeys,
        config,
        project,
        imp,
        columns: imp.options.columns as ColumnMapping | undefined,
      },
      canReport,
    );
  } catch (err) {
    if (err instanceof Rejected) return reject(platform, scope, importId, file, err);
    if (err instanceof StagedFileMissing) return missingFile(platform, scope, importId);
    // The transaction rolled back: nothing landed. Another attempt starts over from the staged file.
    const message = `the import failed while writing: ${reasonOf(err)}`;
    await inTenant(db, scope, (tx) =>
      tx
        .update(imports)
        .set(
          ctx.lastAttempt
            ? {
                status: 'failed',
                errors: [{ record: null, line: null, message }],
                finishedAt: new Date(),
                stagedPath: null,
              }
            : { status: 'queued', errors: [{ record: null, line: null, message: `${message}; retrying` }] },
        )
        .where(pendingImport(importId)),
    ).catch(() => {});
    if (ctx.lastAttempt) fs.rmSync(file, { force: true });
    throw new Error(message, { cause: err });
  }
  // Another run of this import wrote its rows while this one waited for the lock.
  if (counts === null) return { import_id: importId, skipped: 'the import was done by another run' };
  fs.rmSync(file, { force: true });
  if (await statisticsStale(platform, counts.tasks)) await refreshStatistics(platform, ctx, counts);
  await ctx.progress(1, counts);
  return { import_id: importId, ...counts };
}

/**
 * The sweeper failed this import's run (its worker stopped): the import row says so too,
 * and its staged file goes (a later retry of the run does nothing; the user uploads again).
 * Under the import's row lock, so a run still writing it elsewhere keeps it.
 */
export async function importStranded(platform: Platform, run: StrandedRun<ImportJobPayload>): Promise<void> {
  const { importId } = run.payload;
  const staged = await inTenant(platform.database.db, { tenantId: run.tenantId }, async (tx) => {
    const [imp] = await tx
      .select({ status: imports.status, stagedPath: imports.stagedPath })
      .from(imports)
      .where(eq(imports.id, importId))
      .for('update');
    if (!imp || !isPending(imp.status)) return null;
    await tx
      .update(imports)
      .set({
        status: 'failed',
        errors: [{ record: null, line: null, message: WORKER_STOPPED }],
        finishedAt: new Date(),
        stagedPath: null,
      })
      .where(eq(imports.id, importId));
    return imp.stagedPath;
  });
  if (staged) fs.rmSync(staged, { force: true });
}

/** The staged file is gone while the import still waits for it (told under the import's lock). */
class StagedFileMissing extends Error {}

async function missingFile(
  platform: Platform,
  scope: { tenantId: string; userId?: string },
  importId: number,
): Promise<never> {
  await inTenant(platform.database.db, scope, (tx) =>
    tx
      .update(imports)
      .set({
        status: 'failed',
        errors: [{ record: null, line: null, message: 'the staged file is missing' }],
        finishedAt: new Date(),
      })
      .where(pendingImport(importId)),
  );
  throw badRequest('import.staged_file_missing', 'The staged import file is missing.');
}

/** A file with bad records: its transaction rolled back, nothing of it landed. */
class Rejected extends Error {
  constructor(
    readonly records: number,
    readonly errors: ImportError[],
  ) {
    super('the file was rejected');
  }
}

/** Marks the import failed with the file's first errors and fails the job with a 400 naming the first. */
async function reject(
  platform: Platform,
  scope: { tenantId: string; userId?: string },
  importId: number,
  file: string,
  rejected: Rejected,
): Promise<never> {
  const { errors, records } = rejected;
  const at = (e: ImportError) =>
    [e.record !== null ? `record ${e.record}` : '', e.line !== null ? `line ${e.line}` : '']
      .filter(Boolean)
      .join(', ');
  await inTenant(platform.database.db, scope, (tx) =>
    tx
      .update(imports)
      .set({ status: 'failed', errors, counts: { records }, finishedAt: new Date(), stagedPath: null })
      .where(pendingImport(importId)),
  );
  fs.rmSync(file, { force: true });
  const first = errors[0]!;
  const where = at(first);
  throw new Problem(
    400,
    'import.record_invalid',
    `The file was rejected${where ? ` at ${where}` : ''}: ${first.message}`,
    {
      import_id: importId,
      params: { where, message: first.message },
      errors: errors.map((e) => ({ path: at(e), message: e.message })),
    },
  );
}

/** Imports at least this large refresh the planner's statistics of the tables they filled. */
export const ANALYZE_AFTER = 50_000;

/**
 * Whether an import of `added` tasks leaves the planner's statistics stale: it is large,
 * or (autovacuum's own rule: 50 rows and a tenth of the table) large against the table the
 * planner knows. PGlite runs no autovacuum, so there an import is the only moment they
 * are refreshed; left stale, a project imported after the last ANALYZE looked empty to the
 * planner, which then filtered every task of it for a selective search instead of asking
 * the trigram index (bench/search on PGlite, 2 x 30,000 tasks: a selective page's p50 was
 * 710 ms, 19 ms with the refresh).
 */
async function statisticsStale(platform: Platform, added: number): Promise<boolean> {
  if (added >= ANALYZE_AFTER) return true;
  if (added < 50) return false;
  const { rows } = await platform.database.raw.query(
    `select reltuples from pg_class where oid = 'tasks'::regclass`,
  );
  // -1: never analyzed.
  return added >= 0.1 * Math.max(0, Number(rows[0]?.reltuples ?? 0));
}

/**
 * ANALYZE after a bulk load, as after any: until autovacuum gets there, the planner would
 * plan the project's queries for the table as it was before. Runs as the connecting (owner)
 * role, outside any tenant transaction; a failure only loses the refresh.
 */
async function refreshStatistics(
  platform: Platform,
  ctx: JobContext<ImportJobPayload>,
  counts: ImportCounts,
): Promise<void> {
  // Only the tables the import filled: each ANALYZE reads a sample of its table.
  const tables = ['documents', 'tasks'];
  if (counts.annotations > 0) tables.push('annotations');
  if (counts.predictions > 0) tables.push('predictions');
  try {
    await platform.database.raw.exec(`analyze ${tables.join(', ')}`);
  } catch (err) {
    platform.log.warn({ err, runId: ctx.runId }, 'analyze after import failed');
  }
}

/** The staged file of an import and what its records are checked against. */
interface StagedRecords {
  file: string;
  format: ImportFormat;
  textKey: string | undefined;
  dataKeys: readonly string[];
  config: ParsedConfig;
  columns: ColumnMapping | undefined;
}

/**
 * Reads the file's records into tasks, in batches, handing each full batch to `write`.
 * After the first bad record nothing more is written; the file is read on for the next
 * errors (up to MAX_ERRORS), and a Rejected is thrown at the end.
 */
async function readBatches(
  job: StagedRecords,
  onBytes: (bytes: number) => void,
  write: (batch: ImportTask[]) => Promise<void>,
): Promise<void> {
  const errors: ImportError[] = [];
  let records = 0;
  let batch: ImportTask[] = [];
  try {
    const options = { textKey: job.textKey, onBytes, columns: job.columns };
    for await (const rec of readRecords(job.file, job.format, options)) {
      records = rec.record;
      let task: ImportTask;
      try {
        task = fittedTask(rec.value, job.dataKeys, job.config);
      } catch (err) {
        errors.push({ record: rec.record, line: rec.line, message: (err as Error).message });
        if (errors.length >= MAX_ERRORS) break;
        continue;
      }
      if (errors.length) continue;
      batch.push(task);
      if (batch.length >= IMPORT_BATCH) {
        await write(batch);
        batch = [];
      }
    }
  } catch (err) {
    if (!(err instanceof RecordError)) throw err;
    errors.push({ record: err.record, line: err.line, message: err.message });
  }
  if (records === 0 && errors.length === 0)
    errors.push({ record: null, line: null, message: 'the file holds no tasks' });
  if (errors.length) throw new Rejected(records, errors);
  if (batch.length) await write(batch);
}

/** The whole file in one transaction, in batches; null when the import is no longer pending. */
async function applyFile(
  platform: Platform,
  scope: { tenantId: string; userId?: string },
  ctx: JobContext<ImportJobPayload>,
  job: StagedRecords & { project: typeof projects.$inferSelect; imp: typeof imports.$inferSelect },
  canReport: boolean,
): Promise<ImportCounts | null> {
  const { project, imp } = job;
  const importId = imp.id;
  const projectId = project.id;
  const report = throttled((f) => ctx.progress(f));
  // Its own connection: COPY must go to the connection that holds the transaction.
  return onOneConnection(platform.database, (db, copyIn) =>
    inTenant(db, scope, async (tx) => {
      // First the import row's lock: a concurrent run of this import waits here until this
      // transaction ends, then finds the import completed (or failed) and writes nothing.
      const [locked] = await tx
        .select({ status: imports.status })
        .from(imports)
        .where(eq(imports.id, importId))
        .for('update');
      if (!locked || !isPending(locked.status)) return null;
      // Looked at only now: a run that finished meanwhile removed it, and was seen just above.
      if (!fs.existsSync(job.file)) throw new StagedFileMissing();
      const size = Math.max(1, fs.statSync(job.file).size);
      const writer = new BatchWriter(
        tx,
        {
          tenantId: ctx.tenantId,
          userId: ctx.createdBy,
          importId,
          projectId,
          overlap: project.overlap,
          overlapCoverage: project.overlapCoverage,
          dedupe: imp.options.dedupe === true,
          skipCounts: project.skipPolicy === 'ignore',
          sourceConfig: { import_id: importId, source: imp.source },
        },
        copyIn,
      );
      // One batch is written while the next is read and parsed: the database and this
      // process work at the same time. At most one write is in flight.
      let inflight: Promise<void> = Promise.resolve();
      try {
        await readBatches(
          job,
          (bytes) => {
            if (canReport) report((0.95 * bytes) / size);
          },
          async (batch) => {
            await inflight;
            inflight = writer.write(batch);
            inflight.catch(() => {}); // awaited before the next batch; not unhandled meanwhile
          },
        );
      } finally {
        // Settled before the transaction ends either way: a write never outlives it.
        await inflight.catch(() => {});
      }
      await inflight;
      await tx
        .update(projects)
        .set({ taskCount: sql`${projects.taskCount} + ${writer.counts.tasks}`, updatedAt: new Date() })
        .where(eq(projects.id, projectId));
      await tx
        .update(imports)
        .set({
          status: 'completed',
          counts: writer.counts,
          errors: [],
          finishedAt: new Date(),
          stagedPath: null,
        })
        .where(eq(imports.id, importId));
      // Label Studio lists the created tasks; an import may hold millions, so it names the import.
      await platform.events.publish(tx, {
        tenantId: ctx.tenantId,
        projectId,
        action: 'TASKS_CREATED',
        payload: { project: { id: projectId }, import: { id: importId }, count: writer.counts.tasks },
        userId: ctx.createdBy ?? undefined,
      });
      return writer.counts;
    }),
  );
}
