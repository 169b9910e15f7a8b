import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  contentHash,
  formatFromFilename,
  type ImportFormat,
  normalizeTask,
  RecordError,
  readRecords,
} from './import.parsers.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-parsers-'));
let n = 0;
async function read(format: ImportFormat, content: string, textKey?: string) {
  const file = path.join(dir, `f${n++}.${format}`);
  fs.writeFileSync(file, content);
  const out: { record: number; line: number | null; value: unknown }[] = [];
  for await (const r of readRecords(file, format, { textKey })) out.push(r);
  return out;
}
async function failure(format: ImportFormat, content: string): Promise<RecordError> {
  try {
    await read(format, content, 'text');
  } catch (err) {
    expect(err).toBeInstanceOf(RecordError);
    return err as RecordError;
  }
  throw new Error('expected a RecordError');
}

describe('readRecords', () => {
  it('streams JSON arrays and single task objects', async () => {
    expect(await read('json', '\uFEFF [{"data": {"text": "a"}}, {"text": "b"}]')).toEqual([
      { record: 1, line: null, value: { data: { text: 'a' } } },
      { record: 2, line: null, value: { text: 'b' } },
    ]);
    expect(await read('json', '{"data": {"text": "only"}}')).toEqual([
      { record: 1, line: null, value: { data: { text: 'only' } } },
    ]);
  });

  it('locates JSON syntax errors by line', async () => {
    const err = await failure('json', '[\n{"a": 1},\n{"a": 2,,}\n]');
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/^invalid JSON: /);
    expect((await failure('json', '"a string"')).message).toContain('array of tasks or one task object');
    expect((await failure('json', '   ')).message).toBe('the file is empty');
  });

  it('reads JSONL line by line, skipping blank lines and naming a bad one', async () => {
    expect(await read('jsonl', '{"a":1}\r\n\r\n{"a":2}')).toEqual([
      { record: 1, line: 1, value: { a: 1 } },
      { record: 2, line: 3, value: { a: 2 } },
    ]);
    const err = await failure('jsonl', '{"a":1}\n{"a":\n');
    expect([err.record, err.line]).toEqual([2, 2]);
  });

  it('reads CSV and TSV with a header, quoted fields across lines and a BOM', async () => {
    expect(await read('csv', '\uFEFFtext,n\n"a, b",1\n"two\nlines",2\n')).toEqual([
      { record: 1, line: 2, value: { text: 'a, b', n: '1' } },
      { record: 2, line: 4, value: { text: 'two\nlines', n: '2' } },
    ]);
    expect(await read('tsv', 'text\tn\nsay "hi"\t1\n')).toEqual([
      { record: 1, line: 2, value: { text: 'say "hi"', n: '1' } },
    ]);
    const err = await failure('csv', 'text,n\na,1\nb,2,3\n');
    expect([err.record, err.line]).toEqual([2, 3]);
    expect((await failure('csv', 'text,text\na,b\n')).message).toContain('twice');
  });

  it('puts each non-blank TXT line into the text key', async () => {
    expect(await read('txt', 'one\n\ntwo\n', 'body')).toEqual([
      { record: 1, line: 1, value: { body: 'one' } },
      { record: 2, line: 3, value: { body: 'two' } },
    ]);
  });
});

describe('normalizeTask', () => {
  it('takes a bare object as the data, and Label Studio task objects with their parts', () => {
    expect(normalizeTask({ text: 'x', n: 1 }, ['text'])).toEqual({
      data: { text: 'x', n: 1 },
      meta: {},
      annotations: [],
      predictions: [],
    });
    const task = normalizeTask(
      {
        data: { text: 'x' },
        meta: { m: 1 },
        completions: [
          {
            result: [{ from_name: 'a' }],
            completed_by: { id: 3, email: 'a@b.example', first_name: 'A' },
            lead_time: 2,
            created_at: '2023-04-18T09:12:31.519434Z',
          },
        ],
        predictions: [{ result: [], score: 0.5, model_version: 7 }],
      },
      ['text'],
    );
    expect(task.meta).toEqual({ m: 1 });
    expect(task.annotations[0]).toEqual({
      result: [{ from_name: 'a' }],
      leadTime: 2,
      wasCancelled: false,
      groundTruth: false,
      completedBy: { email: 'a@b.example', name: 'a@b.example' },
      createdAt: '2023-04-18T09:12:31.519Z',
      updatedAt: null,
    });
    expect(task.predictions[0]).toEqual({ result: [], score: 0.5, modelVersion: '7', createdAt: null });
  });

  it('reads completed_by as Label Studio and this platform write it', () => {
    const by = (a: Record<string, unknown>) =>
      normalizeTask({ data: {}, annotations: [{ result: [], ...a }] }, []).annotations[0]!.completedBy;
    expect(by({ completed_by: 12 })).toEqual({ name: '12' });
    expect(by({ completed_by: 'x@y.example' })).toEqual({ email: 'x@y.example', name: 'x@y.example' });
    const id = '6f1c2a3b-1111-4222-8333-944455556666';
    expect(by({ completed_by: id, completed_by_email: 'm@t.example' })).toEqual({
      email: 'm@t.example',
      id,
      name: id,
    });
    expect(by({ completed_by: 'Guest' })).toEqual({ name: 'Guest' });
    expect(by({})).toBeNull();
  });

  it('names the field and the reason of a bad record', () => {
    const bad =
      (v: unknown, keys: string[] = ['text']) =>
      () =>
        normalizeTask(v, keys);
    expect(bad([1])).toThrow('a task must be a JSON object');
    expect(bad({ data: 'x' })).toThrow('data must be an object');
    expect(bad({ data: { body: 'x' } })).toThrow('data lacks "text", which the labeling config uses ($text)');
    expect(bad({ data: { text: '' }, meta: [] })).toThrow('meta must be an object');
    expect(bad({ data: { text: '' }, annotations: {} })).toThrow('annotations must be an array');
    expect(bad({ data: { text: '' }, annotations: [{ result: [1] }] })).toThrow(
      'annotations[0].result[0] must be an object',
    );
    expect(bad({ data: { text: '' }, annotations: [{ result: [], lead_time: -1 }] })).toThrow(
      'annotations[0].lead_time',
    );
    expect(bad({ data: { text: '' }, annotations: [{ result: [], was_cancelled: 'yes' }] })).toThrow(
      'annotations[0].was_cancelled must be true or false',
    );
    expect(bad({ data: { text: '' }, annotations: [{ result: [], created_at: 'soon' }] })).toThrow(
      'annotations[0].created_at must be an ISO 8601 date-time',
    );
    expect(bad({ data: { text: '' }, predictions: [{ result: [], score: '0.5' }] })).toThrow(
      'predictions[0].score must be a number',
    );
    expect(bad({ data: { text: '' }, predictions: [{}] })).toThrow('predictions[0].result must be an array');
  });
});

describe('content hash', () => {
  it('is SHA-256 of the canonical JSON, whatever the key order', () => {
    expect(canonicalJson({ b: [1, { d: null, c: 'x' }], a: true })).toBe(
      '{"a":true,"b":[1,{"c":"x","d":null}]}',
    );
    // SHA-256("{}"), a published test value.
    expect(contentHash({})).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    expect(contentHash({ a: 1, b: 2 })).toBe(contentHash({ b: 2, a: 1 }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: '1' }));
  });

  it('tells formats from file names', () => {
    expect(formatFromFilename('Tasks.JSONL')).toBe('jsonl');
    expect(formatFromFilename('x.ndjson')).toBe('jsonl');
    expect(formatFromFilename('a.b.tsv')).toBe('tsv');
    expect(formatFromFilename('x.xlsx')).toBeUndefined();
    expect(formatFromFilename(undefined)).toBeUndefined();
  });
});
