import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { stringify } from 'csv-stringify/sync';
import { and, eq } from 'drizzle-orm';
import { grants } from '../../platform/auth/permissions.ts';
import type { Tx } from '../../platform/db/client.ts';
import { notFound, Problem } from '../../platform/errors/problem.ts';
import { type ExecutionError, type Limits, type QueryResult, runSelect } from './executor.ts';
import { requireTenantWideAccess } from './http.ts';
import { sqlGenerationLogs } from './schema.ts';
import { getConfiguration } from './service.ts';
import { loadParser, Refusal, validateSelect } from './validator.ts';

const FORMATS = ['csv', 'xlsx'] as const;
type Format = (typeof FORMATS)[number];

/** One's own log (any with sql:manage), its query validated again, with its parameters. */
async function loggedQuery(tx: Tx, id: number, by: { userId: string; anyLog: boolean }) {
  const [log] = await tx
    .select({ sql: sqlGenerationLogs.sql, params: sqlGenerationLogs.params })
    .from(sqlGenerationLogs)
    .where(
      and(eq(sqlGenerationLogs.id, id), by.anyLog ? undefined : eq(sqlGenerationLogs.userId, by.userId)),
    );
  if (!log) throw notFound('log.not_found', 'The log');
  await loadParser();
  try {
    return { sql: validateSelect(log.sql).sql, params: log.params };
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    throw new Problem(400, err.rule, err.message, {
      type: 'https://superinsight.dev/problems/sql-refused',
    });
  }
}

/** The same read-only run, row limit and timeout as POST /sql/run. */
async function runFor(tx: Tx, query: { sql: string; params: unknown[] }, limits: Limits) {
  try {
    return await runSelect(tx, query.sql, query.params, limits);
  } catch (err) {
    const failure = (err as ExecutionError).failure;
    if (!failure) throw err;
    throw new Problem(422, failure, (err as Error).message, {
      type: 'https://superinsight.dev/problems/sql-failed',
    });
  }
}

/** Objects (json, arrays) as their JSON text; a cell holds text or a number. */
const cell = (v: unknown) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : v);

/**
 * Text Excel would take for a formula (=, +, -, @, tab, CR first) gets a leading quote, so
 * a project title cannot run in the reader's spreadsheet; numbers (numeric comes as text) stay.
 */
function inert(v: unknown) {
  if (typeof v !== 'string' || !/^[=+\-@\t\r]/.test(v) || Number.isFinite(Number(v))) return v;
  return `'${v}`;
}

/** UTF-8 with a byte-order mark, so Excel opens Chinese text correctly. */
function toCsv(result: QueryResult): Buffer {
  const body = stringify(
    result.rows.map((r) => result.columns.map((c) => inert(cell(r[c])))),
    { header: true, columns: result.columns },
  );
  return Buffer.from(`\ufeff${body}`, 'utf8');
}

async function toXlsx(result: QueryResult): Promise<Buffer> {
  // Loaded on first use: ~28 MB that an idle platform need not hold.
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'SuperInsight';
  const sheet = wb.addWorksheet('Result');
  sheet.columns = result.columns.map((c) => ({ header: c, key: c, width: Math.max(10, c.length + 2) }));
  sheet.getRow(1).font = { bold: true };
  for (const row of result.rows) sheet.addRow(result.columns.map((c) => cell(row[c])));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const TYPES: Record<Format, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export const sqlDownloadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const boundPlan = app.platform.database.driver === 'pglite';
  app.get(
    '/sql/logs/:id/result',
    {
      config: { permission: 'sql:ask' },
      schema: {
        tags: ['sql'],
        summary:
          'A logged query’s result as CSV or xlsx, run again under the same rules as POST /sql/run (one’s own log; any with sql:manage)',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        querystring: Type.Object({
          format: Type.Optional(Type.Unsafe<Format>({ type: 'string', enum: [...FORMATS] })),
        }),
      },
    },
    async (req, reply) => {
      requireTenantWideAccess(req);
      const format = req.query.format ?? 'xlsx';
      const anyLog = grants(req.principal!.permissions, 'sql:manage');
      // The audit entry is written with the lookup: the run's own transaction is read-only.
      req.audit({
        action: 'sql.download',
        resourceType: 'sql_generation_log',
        resourceId: String(req.params.id),
        details: { format },
      });
      const { query, config } = await req.tx(async (tx) => ({
        query: await loggedQuery(tx, req.params.id, { userId: req.me.userId, anyLog }),
        config: await getConfiguration(tx),
      }));
      const result = await req.tx((tx) =>
        runFor(tx, query, {
          rowLimit: config.rowLimit,
          statementTimeoutMs: config.statementTimeoutMs,
          boundPlan,
        }),
      );
      return reply
        .header('content-type', TYPES[format])
        .header('content-disposition', `attachment; filename="query-${req.params.id}.${format}"`)
        .header('x-truncated', String(result.truncated))
        .send(format === 'csv' ? toCsv(result) : await toXlsx(result));
    },
  );
};
