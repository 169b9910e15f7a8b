import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * The platform's file storage: opaque bytes by key. Keys are always tenant-prefixed
 * (`tenantKey`), so a driver never needs to know about tenants and a whole tenant's or
 * project's files go by prefix. The local driver keeps them under DATA_DIR/files; an
 * S3-compatible driver (issue 15) implements the same interface.
 */
export interface FileStat {
  size: number;
  modifiedAt: Date;
}

export interface FileStorage {
  /** Writes the stream under key; fails (leaving nothing) once more than maxBytes arrive. */
  put(key: string, body: Readable, options?: { maxBytes?: number }): Promise<{ bytes: number }>;
  get(key: string): Promise<Buffer>;
  /** The file's bytes, or the inclusive range start..end of them. */
  stream(key: string, range?: { start: number; end: number }): Readable;
  stat(key: string): Promise<FileStat | null>;
  delete(key: string): Promise<void>;
  /** Removes every file whose key starts with prefix (a project's, a tenant's); returns how many. */
  deletePrefix(prefix: string): Promise<number>;
}

export class FileTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`the file is larger than ${maxBytes} bytes`);
  }
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A key under a tenant: `<tenantId>/<part>/<part>…`; every part is one plain path segment. */
export function tenantKey(tenantId: string, ...parts: (string | number)[]): string {
  const segments = [tenantId, ...parts.map(String)];
  for (const s of segments)
    if (!SEGMENT.test(s) || s.includes('..')) throw new Error(`bad key segment "${s}"`);
  return segments.join('/');
}

/** Files in a directory tree, one file per key. */
export class LocalStorage implements FileStorage {
  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    const full = path.resolve(this.root, key);
    // Keys come from tenantKey; this keeps a malformed one from leaving the root anyway.
    if (!full.startsWith(path.resolve(this.root) + path.sep)) throw new Error(`bad key "${key}"`);
    return full;
  }

  async put(key: string, body: Readable, options: { maxBytes?: number } = {}) {
    const target = this.pathOf(key);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    // Written to a temporary name and renamed: a reader never sees half a file.
    const partial = `${target}.partial-${process.pid}-${Date.now()}`;
    let bytes = 0;
    const max = options.maxBytes ?? Number.POSITIVE_INFINITY;
    try {
      await pipeline(
        body,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            bytes += chunk.length;
            if (bytes > max) throw new FileTooLarge(max);
            yield chunk;
          }
        },
        fs.createWriteStream(partial),
      );
      await fs.promises.rename(partial, target);
      return { bytes };
    } catch (err) {
      await fs.promises.rm(partial, { force: true });
      throw err;
    }
  }

  get(key: string): Promise<Buffer> {
    return fs.promises.readFile(this.pathOf(key));
  }

  stream(key: string, range?: { start: number; end: number }): Readable {
    return fs.createReadStream(this.pathOf(key), range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: string): Promise<FileStat | null> {
    try {
      const s = await fs.promises.stat(this.pathOf(key));
      return s.isFile() ? { size: s.size, modifiedAt: s.mtime } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.pathOf(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<number> {
    const dir = this.pathOf(prefix.replace(/\/$/, ''));
    let count = 0;
    try {
      const entries = await fs.promises.readdir(dir, { recursive: true, withFileTypes: true });
      count = entries.filter((e) => e.isFile()).length;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    await fs.promises.rm(dir, { recursive: true, force: true });
    return count;
  }
}
