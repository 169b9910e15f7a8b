import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Logger } from 'pino';

/**
 * PGlite allows one process per data directory, so a backup taken while `serve` runs is
 * asked of that process, over a Unix socket beside the lock. The socket is created with
 * mode 0600: only the data directory's owner can use it, who can read the files anyway.
 *
 * Protocol: the client sends one JSON line (`{"op":"backup"}`); the server answers one JSON
 * line (`{"ok":true,"bytes":N}`, or `{"ok":false,"error":"…"}`) and then, on success, the
 * N bytes of PGlite's dump (a tar.gz of the data directory) and closes.
 */
export const CONTROL_SOCKET = 'control.sock';

/** What the socket needs of the database: PGlite's own dump, taken between queries. */
export interface Dumpable {
  dumpDataDir(compression: 'gzip'): Promise<Blob>;
}

export interface ControlSocket {
  close(): Promise<void>;
}

// A request line is a few bytes; a client that sends more, or nothing, is cut off.
const MAX_REQUEST_BYTES = 1024;
const REQUEST_TIMEOUT_MS = 10_000;

// Linux keeps a socket's path in 108 bytes, its NUL included; libuv silently cuts a longer
// one, which would put the socket somewhere else.
const MAX_SOCKET_PATH_BYTES = 107;

export class ControlSocketError extends Error {}

/** The socket's path, or undefined when DATA_DIR is too long a path to hold one. */
export function controlSocketPath(dataDir: string): string | undefined {
  const socketPath = path.join(dataDir, CONTROL_SOCKET);
  return Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH_BYTES ? socketPath : undefined;
}

/**
 * Opens the control socket of a process that holds the data directory's lock. A socket
 * file left by a process that died is removed first: holding the lock, nobody else serves it.
 */
export async function openControlSocket(
  dataDir: string,
  database: Dumpable,
  log: Logger,
): Promise<ControlSocket> {
  const socketPath = controlSocketPath(dataDir);
  if (!socketPath)
    throw new ControlSocketError(
      `${path.join(dataDir, CONTROL_SOCKET)} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes a socket path may have`,
    );
  fs.rmSync(socketPath, { force: true });
  const server = net.createServer((socket) => {
    serveOne(socket, database).catch((err) => {
      log.warn({ err }, 'control socket: a backup request failed');
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // The socket file is created by the bind inside listen(); under this umask it is 0600
    // from its first moment, not only after a chmod.
    const umask = process.umask(0o177);
    try {
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
  server.on('error', (err) => log.warn({ err }, 'control socket error'));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}

async function serveOne(socket: net.Socket, database: Dumpable): Promise<void> {
  socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
  const line = await readLine(socket);
  socket.setTimeout(0);
  let op: unknown;
  try {
    op = (JSON.parse(line) as { op?: unknown }).op;
  } catch {
    op = undefined;
  }
  if (op !== 'backup') {
    socket.end(`${JSON.stringify({ ok: false, error: 'unknown request' })}\n`);
    return;
  }
  let dump: Blob;
  try {
    dump = await database.dumpDataDir('gzip');
  } catch (err) {
    socket.end(`${JSON.stringify({ ok: false, error: (err as Error).message })}\n`);
    return;
  }
  socket.write(`${JSON.stringify({ ok: true, bytes: dump.size })}\n`);
  // Streamed in chunks with backpressure, so a large dump never holds the event loop.
  await pipeline(Readable.fromWeb(dump.stream() as WebReadableStream<Uint8Array>), socket);
}

/** Reads up to the first newline; the rest of the stream is not used by the server. */
function readLine(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\n');
      if (end >= 0) {
        socket.off('data', onData);
        resolve(text.slice(0, end));
      } else if (text.length > MAX_REQUEST_BYTES) {
        socket.off('data', onData);
        reject(new Error('request line too long'));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    // Also after the timeout's destroy(), which ends the socket without an error.
    socket.once('close', () => reject(new Error('the client closed before its request')));
  });
}

/**
 * Asks the server holding the data directory for a backup and writes it to `out` (and ends
 * it). Returns false, with `out` untouched, when no server listens on the socket (no file,
 * or a file left by a process that died).
 */
export async function requestBackup(dataDir: string, out: Writable): Promise<boolean> {
  const socketPath = controlSocketPath(dataDir);
  const socket = socketPath && (await connect(socketPath));
  if (!socket) return false;
  let header: { ok: boolean; bytes?: number; error?: string } | undefined;
  let pending: Buffer = Buffer.alloc(0);
  let received = 0;
  // Takes the header line off the front of the stream and passes the dump's bytes on.
  const body = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (header) {
        received += chunk.length;
        return done(null, chunk);
      }
      pending = Buffer.concat([pending, chunk]);
      const end = pending.indexOf(0x0a);
      if (end < 0)
        return done(
          pending.length > MAX_REQUEST_BYTES ? new ControlSocketError('the server sent no header') : null,
        );
      try {
        header = JSON.parse(pending.subarray(0, end).toString('utf8'));
      } catch {
        return done(new ControlSocketError('the server sent a malformed header'));
      }
      if (!header?.ok)
        return done(new ControlSocketError(`the server could not take the backup: ${header?.error}`));
      const rest = pending.subarray(end + 1);
      received += rest.length;
      done(null, rest);
    },
  });
  socket.write(`${JSON.stringify({ op: 'backup' })}\n`);
  try {
    await pipeline(socket, body, out);
  } finally {
    socket.destroy();
  }
  if (!header) throw new ControlSocketError('the server closed the connection without an answer');
  if (received !== header.bytes)
    throw new ControlSocketError(`the backup was cut short: ${received} of ${header.bytes} bytes arrived`);
  return true;
}

function connect(socketPath: string): Promise<net.Socket | undefined> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') resolve(undefined);
      else reject(err);
    };
    socket.once('error', onError);
  });
}
