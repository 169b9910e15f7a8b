// The embedded database's own thread: it owns the PGlite instance, so a query (running in
// PGlite's WebAssembly on this thread) never blocks the HTTP event loop. The main thread
// (pglite-thread.ts) sends one request at a time and answers with the result or the error.
// Plain JavaScript on purpose: the thread starts without the TypeScript loader (faster, and
// ~30 MB less memory), and it is small.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

const port = parentPort;
if (!port) throw new Error('pglite-worker.mjs runs as a worker thread');

/** @type {PGlite | undefined} */
let pglite;

const keep = (value) => value;

/** The fields of a PostgreSQL error that callers read (SQLSTATE, constraint, detail...). */
function errorOf(err) {
  const e = /** @type {Record<string, unknown>} */ (err ?? {});
  const out = { name: String(e.name ?? 'Error'), message: String(e.message ?? err) };
  for (const key of [
    'code',
    'severity',
    'detail',
    'hint',
    'position',
    'where',
    'schema',
    'table',
    'column',
    'dataType',
    'constraint',
    'routine',
  ]) {
    if (e[key] !== undefined) out[key] = e[key];
  }
  return out;
}

/** One statement; types whose parser the caller supplied come back as PostgreSQL's text
 * for the caller to parse (its functions cannot cross the thread boundary). */
function query(db, message) {
  const parsers = {};
  for (const oid of message.raw ?? []) parsers[oid] = keep;
  return db.query(message.text, message.params ?? [], { rowMode: message.rowMode ?? 'object', parsers });
}

const SCOPE =
  "select set_config('role', $1, true), set_config('app.tenant_id', $2, true), set_config('app.user_id', $3, true)";

async function run(message) {
  switch (message.op) {
    case 'query':
      return query(pglite, message);
    case 'scoped':
      // A tenant statement in one request: BEGIN, the role and tenant, the statement and
      // COMMIT run here, instead of four crossings of the thread boundary.
      return pglite.transaction(async (tx) => {
        await tx.query(SCOPE, message.scope);
        return query(tx, message);
      });
    case 'exec':
      return pglite.exec(message.text);
    case 'dump': {
      const file = await pglite.dumpDataDir(message.compression ?? 'gzip');
      return new Uint8Array(await file.arrayBuffer());
    }
    case 'close':
      await pglite.close();
      pglite = undefined;
      return null;
    default:
      throw new Error(`unknown request ${message.op}`);
  }
}

port.on('message', async (message) => {
  try {
    const result = await run(message);
    const transfer = result instanceof Uint8Array ? [result.buffer] : [];
    port.postMessage({ id: message.id, ok: true, result }, transfer);
  } catch (err) {
    port.postMessage({ id: message.id, ok: false, error: errorOf(err) });
  }
});

try {
  const { dataDir, options } = workerData;
  // Extensions carry functions, which a worker's data cannot: they are added here. pg_trgm
  // indexes the data manager's substring search (migration 0038 creates it). One options
  // object: PGlite reads no second argument when the first (an in-memory database's data
  // directory) is undefined.
  pglite = new PGlite({ ...options, dataDir, extensions: { pg_trgm } });
  await pglite.waitReady;
  port.postMessage({ type: 'ready' });
} catch (err) {
  port.postMessage({ type: 'failed', error: errorOf(err) });
}
