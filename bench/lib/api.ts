/** The platform's HTTP API as the benches call it: JSON calls, a streamed upload, job waits. */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// biome-ignore lint/suspicious/noExplicitAny: the benches read API answers loosely.
export type Json = Record<string, any>;

export class Api {
  constructor(
    readonly base: string,
    public token = '',
  ) {}
  async call(method: string, url: string, body?: unknown, token = this.token) {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json: json as Json, headers: res.headers };
  }
  async ok(method: string, url: string, body?: unknown, token?: string) {
    const res = await this.call(method, url, body, token);
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json;
  }
}

/** ~200 bytes of text, different per task (so content hashes differ). */
export function textOf(i: number): string {
  const words = ['annotation', 'quality', 'reviewer', 'dataset', 'label', 'model', 'training', 'sample'];
  let s = `Task ${i}:`;
  let x = (i * 2654435761) >>> 0;
  while (s.length < 195) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += ` ${words[x % words.length]}`;
  }
  return s.slice(0, 200);
}

/** A JSONL file of `n` text tasks, each with `annotation` as its one annotation when given. */
export async function writeJsonl(file: string, n: number, annotation?: Json): Promise<number> {
  const out = fs.createWriteStream(file);
  for (let i = 0; i < n; i++) {
    const task: Record<string, unknown> = { data: { text: textOf(i) } };
    if (annotation) task.annotations = [annotation];
    if (!out.write(`${JSON.stringify(task)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await new Promise<void>((r) => out.once('finish', () => r()));
  return fs.statSync(file).size;
}

/** Streams a file as a multipart upload to the import route; returns the 201 body. */
export function upload(api: Api, url: string, file: string): Promise<{ import_id: number; job_id: string }> {
  const boundary = `----bench${randomUUID()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${path.basename(file)}"\r\n` +
      'Content-Type: application/x-ndjson\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = head.length + fs.statSync(file).size + tail.length;
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${api.base}${url}`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${api.token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(length),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () =>
          res.statusCode === 201
            ? resolve(JSON.parse(body))
            : reject(new Error(`upload: ${res.statusCode} ${body}`)),
        );
      },
    );
    req.on('error', reject);
    req.write(head);
    const source = fs.createReadStream(file, { highWaterMark: 1024 * 1024 });
    source.pipe(req, { end: false });
    source.on('end', () => req.end(tail));
    source.on('error', reject);
  });
}

export async function waitJob(api: Api, jobId: string): Promise<Json> {
  for (;;) {
    const job = await api.ok('GET', `/api/v1/jobs/${jobId}`);
    if (['completed', 'failed', 'cancelled'].includes(job.state)) return job;
    await sleep(250);
  }
}
