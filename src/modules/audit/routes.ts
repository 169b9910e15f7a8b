import { Readable } from 'node:stream';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { stringify } from 'csv-stringify';
import { verifyChain } from '../../platform/audit/chain.ts';
import { raiseSecurityEvent } from '../../platform/auth/security-events.ts';
import { PageQuery, pageOf } from '../../platform/db/pagination.ts';
import { DateTime, DateTimeIn, Nullable, Uuid } from '../../platform/http/schemas.ts';
import { type AuditFilter, list, scan } from './service.ts';

const Filter = {
  actor_id: Type.Optional(Uuid),
  action: Type.Optional(
    Type.String({ maxLength: 100, description: 'Exact action, or a prefix ending in "."' }),
  ),
  resource_type: Type.Optional(Type.String({ maxLength: 100 })),
  resource_id: Type.Optional(Type.String({ maxLength: 200 })),
  from: Type.Optional(DateTimeIn),
  to: Type.Optional(DateTimeIn),
};

const AuditRow = Type.Object({
  id: Type.Integer(),
  seq: Type.Integer(),
  actor_id: Nullable(Uuid),
  actor_type: Type.String(),
  action: Type.String(),
  resource_type: Type.String(),
  resource_id: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
  request_id: Nullable(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
  created_at: DateTime,
  prev_hash: Type.String(),
  hash: Type.String(),
});

const CSV_COLUMNS = [
  'id',
  'seq',
  'created_at',
  'actor_id',
  'actor_type',
  'action',
  'resource_type',
  'resource_id',
  'ip',
  'user_agent',
  'request_id',
  'details',
  'prev_hash',
  'hash',
] as const;

const toFilter = (q: Record<string, string | undefined>): AuditFilter => ({
  actorId: q.actor_id,
  action: q.action,
  resourceType: q.resource_type,
  resourceId: q.resource_id,
  from: q.from,
  to: q.to,
});

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/audit/logs',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Query the audit log, newest first',
        querystring: Type.Object({ ...PageQuery, ...Filter }),
        response: { 200: pageOf(AuditRow) },
      },
    },
    async (req) => {
      const { limit, cursor, ...q } = req.query;
      return req.tx((tx) => list(tx, req.me.tenantId, toFilter(q), limit ?? 50, cursor));
    },
  );

  app.get(
    '/audit/logs/export',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Stream every matching audit row as CSV or JSON',
        querystring: Type.Object({
          ...Filter,
          format: Type.Union([Type.Literal('csv'), Type.Literal('json')], { default: 'json' }),
        }),
        produces: ['text/csv', 'application/json'],
      },
    },
    async (req, reply) => {
      const p = req.me;
      const { format, ...q } = req.query;
      const filter = toFilter(q);
      // The export itself is an auditable, security-relevant act.
      await req.tx(async (tx) => {
        req.audit({
          action: 'audit.exported',
          resourceType: 'audit_log',
          details: { format, filter: { ...q } },
        });
        await raiseSecurityEvent(tx, {
          tenantId: p.tenantId,
          type: 'bulk_export',
          severity: 'low',
          userId: p.userId,
          ip: req.ip,
          details: { what: 'audit_logs', format },
        });
      });
      const rows = scan((work) => req.tx(work), p.tenantId, filter);
      const stamp = new Date().toISOString().slice(0, 10);
      reply.header('content-disposition', `attachment; filename="audit-${stamp}.${format}"`);
      if (format === 'csv') {
        const csv = stringify({ header: true, columns: [...CSV_COLUMNS] });
        Readable.from(
          (async function* () {
            for await (const r of rows)
              yield { ...r, created_at: r.created_at.toISOString(), details: JSON.stringify(r.details) };
          })(),
        ).pipe(csv);
        return reply.type('text/csv; charset=utf-8').send(csv);
      }
      const json = Readable.from(
        (async function* () {
          let first = true;
          yield '[';
          for await (const r of rows) {
            yield (first ? '\n' : ',\n') + JSON.stringify(r);
            first = false;
          }
          yield '\n]\n';
        })(),
      );
      return reply.type('application/json; charset=utf-8').send(json);
    },
  );

  app.post(
    '/audit/verify',
    {
      config: { permission: 'audit:verify' },
      schema: {
        tags: ['audit'],
        summary: "Walk the tenant's hash chain and name the first row that does not fit",
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            checked: Type.Integer(),
            first_broken_id: Nullable(Type.Integer()),
            reason: Nullable(Type.String()),
          }),
        },
      },
    },
    async (req) => {
      const result = await req.tx((tx) => verifyChain(tx, req.me.tenantId));
      await req.tx(async () => {
        req.audit({ action: 'audit.verified', resourceType: 'audit_log', details: { ...result } });
      });
      return result;
    },
  );
};
