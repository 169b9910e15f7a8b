import { hash } from 'node:crypto';
import fs from 'node:fs';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { parse as parseCsvSync } from 'csv-parse/sync';
import streamJson from 'stream-json';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import StreamValues from 'stream-json/streamers/StreamValues.js';
import Verifier from 'stream-json/utils/Verifier.js';
import { badRequest } from '../../../platform/errors/problem.ts';

/**
 * Streaming readers for task files (Label Studio's import formats) and the pure checks
 * that turn one parsed record into a task. Nothing here touches the database; a reader
 * holds one record at a time, whatever the size of the file.
 */

export const IMPORT_FORMATS = ['json', 'jsonl', 'csv', 'tsv', 'txt'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

const EXTENSIONS: Record<string, ImportFormat> = {
  json: 'json',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  csv: 'csv',
  tsv: 'tsv',
  txt: 'txt',
};

/** The format a file name implies (`tasks.jsonl` → jsonl), if any. */
export function formatFromFilename(name: string | undefined): ImportFormat | undefined {
  const ext = name?.split('.').at(-1)?.toLowerCase();
  return ext ? EXTENSIONS[ext] : undefined;
}

/** One record of a file: its 1-based number, the 1-based line it starts on when known, its value. */
export interface SourceRecord {
  record: number;
  line: number | null;
  value: unknown;
}

/** A problem with one record (or with the file's syntax), located as precisely as the format allows. */
export class RecordError extends Error {
  constructor(
    readonly record: number | null,
    readonly line: number | null,
    message: string,
  ) {
    super(message);
  }
}

export interface ReadOptions {
  /** The data key a TXT line goes into (the config's single data key). */
  textKey?: string;
  /** Told how many bytes of the file have been read so far. */
  onBytes?: (bytes: number) => void;
  /** CSV/TSV: header name → the data key it becomes, or null to drop the column; others keep their name. */
  columns?: ColumnMapping;
}

export type ColumnMapping = Record<string, string | null>;

/**
 * The header a CSV/TSV file is read with once its columns are mapped: renamed, or false
 * (csv-parse skips the column). Throws naming a mapped column the header lacks, or two
 * columns that end up with one name.
 */
export function mappedHeader(header: string[], columns: ColumnMapping = {}): (string | false)[] {
  for (const name of Object.keys(columns))
    if (!header.includes(name))
      throw new RecordError(null, 1, `the column mapping names "${name}", which the header lacks`);
  const mapped = header.map((name) => (name in columns ? (columns[name] ?? false) : name));
  const seen = new Set<string>();
  for (const name of mapped) {
    if (name === false) continue;
    if (seen.has(name))
      throw new RecordError(null, 1, `two columns would both become "${name}"; map or drop one of them`);
    seen.add(name);
  }
  return mapped;
}

function openFile(path: string, onBytes?: (bytes: number) => void): Readable {
  const stream = fs.createReadStream(path, { highWaterMark: 256 * 1024 });
  if (onBytes) {
    let read = 0;
    stream.on('data', (chunk) => {
      read += chunk.length;
      onBytes(read);
    });
  }
  return stream;
}

/** Streams the records of a staged file. Throws a RecordError on the first syntax error. */
export function readRecords(path: string, format: ImportFormat, options: ReadOptions = {}) {
  switch (format) {
    case 'json':
      return readJson(path, options);
    case 'jsonl':
      return readLines(path, options, (text, record, line) => {
        try {
          return JSON.parse(text) as unknown;
        } catch (err) {
          throw new RecordError(record, line, `invalid JSON: ${(err as Error).message}`);
        }
      });
    case 'txt': {
      const key = options.textKey;
      if (!key) throw new Error('a TXT import needs the data key its lines go into');
      return readLines(path, options, (text) => ({ [key]: text }));
    }
    case 'csv':
      return readDelimited(path, ',', options);
    case 'tsv':
      return readDelimited(path, '\t', options);
  }
}

async function* readLines(
  path: string,
  options: ReadOptions,
  toValue: (text: string, record: number, line: number) => unknown,
): AsyncGenerator<SourceRecord> {
  const lines = readline.createInterface({ input: openFile(path, options.onBytes), crlfDelay: Infinity });
  let line = 0;
  let record = 0;
  for await (const raw of lines) {
    line++;
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') continue;
    record++;
    yield { record, line, value: toValue(text, record, line) };
  }
}

async function* readDelimited(path: string, delimiter: string, options: ReadOptions) {
  const parser = openFile(path, options.onBytes).pipe(
    parseCsv({
      delimiter,
      columns: (header: string[]) => {
        const seen = new Set<string>();
        for (const [i, name] of header.entries()) {
          if (name.trim() === '') throw new RecordError(null, 1, `column ${i + 1} of the header has no name`);
          if (seen.has(name)) throw new RecordError(null, 1, `the header names the column "${name}" twice`);
          seen.add(name);
        }
        return mappedHeader(header, options.columns);
      },
      bom: true,
      skip_empty_lines: true,
      info: true,
      // TSV files are usually written without quoting; a stray quote is then data.
      ...(delimiter === '\t' ? { relax_quotes: true } : {}),
    }),
  );
  let record = 0;
  try {
    for await (const row of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      record++;
      // info.lines is the line the record ends on; a record spans lines only inside quotes.
      yield { record, line: row.info.lines, value: row.record };
    }
  } catch (err) {
    if (err instanceof RecordError) throw err;
    const e = err as Error & { lines?: number; code?: string };
    throw new RecordError(
      record + 1,
      e.lines ?? null,
      `invalid ${delimiter === ',' ? 'CSV' : 'TSV'}: ${e.message}`,
    );
  }
}

/** The first non-blank character of a file, to tell a JSON array from a single task object. */
async function firstChar(path: string): Promise<string | undefined> {
  const handle = await fs.promises.open(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    for (let pos = 0; ; ) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return undefined;
      const text = buf
        .subarray(0, bytesRead)
        .toString('utf8')
        .replace(/^\uFEFF/, '');
      const m = /\S/.exec(text);
      if (m) return m[0];
      pos += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/** Where the first JSON syntax error of a file is, by stream-json's validating pass. */
async function syntaxErrorLine(path: string): Promise<{ line: number | null; message: string } | null> {
  return new Promise((resolve) => {
    const verifier = new Verifier();
    verifier.on('error', (err: Error & { line?: number; pos?: number }) =>
      resolve({ line: err.line ?? null, message: err.message }),
    );
    verifier.on('finish', () => resolve(null));
    fs.createReadStream(path).pipe(verifier);
  });
}

async function* readJson(path: string, options: ReadOptions): AsyncGenerator<SourceRecord> {
  const first = await firstChar(path);
  if (first === undefined) throw new RecordError(null, 1, 'the file is empty');
  if (first !== '[' && first !== '{')
    throw new RecordError(null, 1, 'a JSON import holds an array of tasks or one task object');
  const source = openFile(path, options.onBytes);
  const streamer = first === '[' ? new StreamArray() : new StreamValues();
  const tokens = source.pipe(streamJson.parser());
  tokens.on('error', (err) => streamer.destroy(err));
  source.on('error', (err) => streamer.destroy(err));
  const values = tokens.pipe(streamer);
  let record = 0;
  try {
    for await (const item of values as AsyncIterable<{ key: number; value: unknown }>) {
      record++;
      yield { record, line: null, value: item.value };
    }
  } catch (err) {
    if (err instanceof RecordError) throw err;
    const located = await syntaxErrorLine(path);
    const message = (located?.message ?? (err as Error).message).replace(
      /^(Parser|Verifier) cannot parse input: /,
      '',
    );
    // The parser runs ahead of the records handed out, so the line, not a record number, locates it.
    throw new RecordError(null, located?.line ?? null, `invalid JSON: ${message}`);
  } finally {
    source.destroy();
  }
}

// ------------------------------------------------------------------ records → tasks

export interface AnnotatorRef {
  /** An e-mail address, matched to a member of the tenant. */
  email?: string;
  /** A user id as this platform's /api/v1 gives it (uuid), matched to a member of the tenant. */
  id?: string;
  /** What the file called the annotator; kept as an external name when no member matches. */
  name?: string;
}

export interface ImportAnnotation {
  result: unknown[];
  leadTime: number;
  wasCancelled: boolean;
  groundTruth: boolean;
  completedBy: AnnotatorRef | null;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface ImportPrediction {
  result: unknown[];
  score: number | null;
  modelVersion: string;
  createdAt: string | null;
}

export interface ImportTask {
  data: Record<string, unknown>;
  meta: Record<string, unknown>;
  annotations: ImportAnnotation[];
  predictions: ImportPrediction[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^@\s]+@[^@\s]+$/;

function annotator(a: Record<string, unknown>): AnnotatorRef | null {
  const ref: AnnotatorRef = {};
  const by = a.completed_by;
  if (typeof a.completed_by_email === 'string' && EMAIL.test(a.completed_by_email))
    ref.email = a.completed_by_email;
  if (isObject(by)) {
    // Older Label Studio exports: {id, email, first_name, last_name}.
    if (!ref.email && typeof by.email === 'string' && EMAIL.test(by.email)) ref.email = by.email;
    if (typeof by.id === 'string' && UUID.test(by.id)) ref.id = by.id;
    const name = [by.first_name, by.last_name].filter((s) => typeof s === 'string' && s).join(' ');
    ref.name = ref.email ?? (name || (by.id !== undefined ? String(by.id) : undefined));
  } else if (typeof by === 'string' && by !== '') {
    if (EMAIL.test(by)) ref.email ??= by;
    else if (UUID.test(by)) ref.id = by;
    ref.name = by;
  } else if (typeof by === 'number') {
    // An integer user id alone says nothing about who it is here: it may be another
    // installation's or another tenant's number, and mapping it would credit (and pay)
    // someone else. The e-mail beside it maps the member; failing that, it names them.
    ref.name = ref.email ?? String(by);
  }
  // This platform's export names an annotator without an account here this way.
  if (typeof a.completed_by_external === 'string' && a.completed_by_external !== '')
    ref.name = a.completed_by_external;
  if (!ref.email && !ref.id && !ref.name) return null;
  return ref;
}

function timestamp(v: unknown, path: string): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v)))
    throw new Error(`${path} must be an ISO 8601 date-time`);
  return new Date(v).toISOString();
}

function results(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${path} must be an array`);
  for (const [i, r] of v.entries()) if (!isObject(r)) throw new Error(`${path}[${i}] must be an object`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new Error(`${path} must be true or false`);
  return v;
}

function list(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Error(`${path} must be an array`);
  return v;
}

/** Label Studio's placeholder key for a value imported without one. */
const UNDEFINED_KEY = '$undefined$';

/**
 * Label Studio files a value that came without a key under `$undefined$`, which its editor
 * reads as the config's only data key: here it becomes that key.
 */
function withUndefinedKey(data: Record<string, unknown>, dataKeys: readonly string[]) {
  if (!(UNDEFINED_KEY in data) || dataKeys.length !== 1 || dataKeys[0]! in data) return data;
  const { [UNDEFINED_KEY]: value, ...rest } = data;
  return { ...rest, [dataKeys[0]!]: value };
}

/**
 * Turns one record into a task as Label Studio reads it: `{data, meta?, annotations?,
 * predictions?}`, or a bare object that is the data itself. Throws an Error whose message
 * names the field and the reason.
 */
export function normalizeTask(value: unknown, dataKeys: readonly string[]): ImportTask {
  if (!isObject(value)) throw new Error('a task must be a JSON object');
  const wrapped = isObject(value.data);
  if ('data' in value && !wrapped) throw new Error('data must be an object');
  const data = withUndefinedKey(wrapped ? (value.data as Record<string, unknown>) : value, dataKeys);
  for (const key of dataKeys) {
    if (!(key in data)) throw new Error(`data lacks "${key}", which the labeling config uses ($${key})`);
  }
  if (!wrapped) return { data, meta: {}, annotations: [], predictions: [] };

  const meta = value.meta ?? {};
  if (!isObject(meta)) throw new Error('meta must be an object');
  const annotationsIn = list(value.annotations ?? value.completions, 'annotations');
  const annotations = annotationsIn.map((a, i): ImportAnnotation => {
    const path = `annotations[${i}]`;
    if (!isObject(a)) throw new Error(`${path} must be an object`);
    const leadTime = a.lead_time ?? 0;
    if (typeof leadTime !== 'number' || !Number.isFinite(leadTime) || leadTime < 0)
      throw new Error(`${path}.lead_time must be a number of seconds ≥ 0`);
    return {
      result: results(a.result, `${path}.result`),
      leadTime,
      wasCancelled: bool(a.was_cancelled, `${path}.was_cancelled`),
      groundTruth: bool(a.ground_truth, `${path}.ground_truth`),
      completedBy: annotator(a),
      createdAt: timestamp(a.created_at, `${path}.created_at`),
      updatedAt: timestamp(a.updated_at, `${path}.updated_at`),
    };
  });
  const predictions = list(value.predictions, 'predictions').map((p, i): ImportPrediction => {
    const path = `predictions[${i}]`;
    if (!isObject(p)) throw new Error(`${path} must be an object`);
    const score = p.score ?? null;
    if (score !== null && (typeof score !== 'number' || !Number.isFinite(score)))
      throw new Error(`${path}.score must be a number`);
    const version = p.model_version ?? '';
    if (typeof version !== 'string' && typeof version !== 'number')
      throw new Error(`${path}.model_version must be a string`);
    return {
      result: results(p.result, `${path}.result`),
      score,
      modelVersion: String(version),
      createdAt: timestamp(p.created_at, `${path}.created_at`),
    };
  });
  return { data, meta, annotations, predictions };
}

/** JSON with object keys sorted at every level: equal data gives equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  // Most task data is one level of scalars, often with its keys in order already: then
  // JSON.stringify writes the same text without building it piece by piece.
  if (isFlatAndSorted(obj)) return JSON.stringify(obj);
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** Every value is a scalar (not undefined) and the keys come in sorted order. */
function isFlatAndSorted(obj: Record<string, unknown>): boolean {
  let previous: string | undefined;
  for (const key in obj) {
    const v = obj[key];
    if (v === undefined || (v !== null && typeof v === 'object')) return false;
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
  }
  return true;
}

/** SHA-256 (hex) of the canonical JSON of a task's data: the documents.content_hash. */
export function contentHash(data: Record<string, unknown>): string {
  return sha256Hex(canonicalJson(data));
}

// One-shot hash: a third of createHash's cost per short text (an import hashes every task).
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

// ------------------------------------------------------------------ preview

/** The most text a preview reads: the start of a file is enough for its header and first rows. */
export const PREVIEW_MAX_CHARS = 1024 * 1024;
export const PREVIEW_ROWS = 10;

/**
 * The header and the first rows of CSV/TSV text, read as the import reads it. The text may
 * be the start of a larger file: a last line without its end is left out.
 */
export function previewDelimited(
  text: string,
  format: 'csv' | 'tsv',
): { columns: string[]; rows: string[][] } {
  const cut = text.length >= PREVIEW_MAX_CHARS || !/\n\s*$/.test(text) ? text.lastIndexOf('\n') : -1;
  const complete = cut > 0 ? text.slice(0, cut + 1) : text;
  let records: string[][];
  try {
    records = parseCsvSync(complete, {
      delimiter: format === 'csv' ? ',' : '\t',
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      to: PREVIEW_ROWS + 1,
      ...(format === 'tsv' ? { relax_quotes: true } : {}),
    }) as string[][];
  } catch (err) {
    throw badRequest(
      'import.text_unreadable',
      `The ${format.toUpperCase()} cannot be read: ${(err as Error).message}`,
      [{ path: 'body', message: (err as Error).message }],
      { format: format.toUpperCase(), reason: (err as Error).message },
    );
  }
  const [columns, ...rows] = records;
  if (!columns)
    throw badRequest('import.no_header', 'The text holds no header line.', [
      { path: 'body', message: 'is empty' },
    ]);
  return { columns, rows };
}
