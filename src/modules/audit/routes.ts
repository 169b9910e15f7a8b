import { Readable } from 'node:stream';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { stringify } from 'csv-stringify';
import { checkpointKey, writeCheckpoint } from '../../platform/audit/checkpoints.ts';
import { erasePersonal } from '../../platform/audit/erasure.ts';
import { verifyChain } from '../../platform/audit/verify.ts';
import { raiseSecurityEvent } from '../../platform/auth/security-events.ts';
import { PageQuery, pageOf } from '../../platform/db/pagination.ts';
import { DateTime, DateTimeIn, Nullable, Uuid } from '../../platform/http/schemas.ts';
import { type AuditFilter, list, listCheckpoints, scan } from './service.ts';

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
  actor_email: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
  request_id: Nullable(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
  created_at: DateTime,
  erased_at: Nullable(DateTime),
  prev_hash: Type.String(),
  hash: Type.String(),
});

const VerifyOut = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer(),
  first_broken_id: Nullable(Type.Integer()),
  reason: Nullable(Type.String()),
  broken_from_seq: Nullable(Type.Integer({ description: 'The damage lies between these sequence numbers' })),
  broken_to_seq: Nullable(Type.Integer()),
  checkpoints_checked: Type.Integer(),
  latest_checkpoint: Nullable(Type.Object({ seq: Type.Integer(), created_at: DateTime })),
  head_seq: Type.Integer({ description: 'The last row that verified' }),
});

const CheckpointOut = Type.Object({
  id: Type.Integer(),
  seq: Type.Integer(),
  hash: Type.String(),
  reason: Type.Union([Type.Literal('schedule'), Type.Literal('verify')]),
  created_at: DateTime,
  signature: Type.String({ description: 'HMAC-SHA256 with a key derived from the master key' }),
});

const CSV_COLUMNS = [
  'id',
  'seq',
  'created_at',
  'actor_id',
  'actor_type',
  'actor_email',
  'action',
  'resource_type',
  'resource_id',
  'ip',
  'user_agent',
  'request_id',
  'details',
  'erased_at',
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
              yield {
                ...r,
                created_at: r.created_at.toISOString(),
                erased_at: r.erased_at?.toISOString() ?? null,
                details: JSON.stringify(r.details),
              };
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
        summary: "Walk the tenant's hash chain against its signed checkpoints and locate what does not fit",
        description:
          'A verified chain is checkpointed: its head (sequence number and hash) is signed and kept, so that a later ' +
          'deletion of rows from the end, of the whole chain, or a rewrite with every later hash recomputed is detected.',
        response: { 200: VerifyOut },
      },
    },
    async (req) => {
      const key = checkpointKey(app.platform.masterKey);
      const { head, ...result } = await req.tx((tx) => verifyChain(tx, req.me.tenantId, key));
      await req.tx(async (tx) => {
        if (result.ok) await writeCheckpoint(tx, key, req.me.tenantId, 'verify', head);
        req.audit({ action: 'audit.verified', resourceType: 'audit_log', details: { ...result } });
      });
      return { ...result, head_seq: head.seq };
    },
  );

  app.get(
    '/audit/checkpoints',
    {
      config: { permission: 'audit:verify' },
      schema: {
        tags: ['audit'],
        summary: "The signed checkpoints of the tenant's chain head, newest first",
        description:
          'Copy them somewhere the database administrators cannot reach, to anchor the chain outside the platform.',
        querystring: Type.Object({ ...PageQuery }),
        response: { 200: pageOf(CheckpointOut) },
      },
    },
    async (req) => {
      const { limit, cursor } = req.query;
      return req.tx((tx) => listCheckpoints(tx, req.me.tenantId, limit ?? 50, cursor));
    },
  );

  app.post(
    '/audit/erasure',
    {
      config: { permission: 'audit:erase' },
      schema: {
        tags: ['audit'],
        summary:
          'Erase personal fields (e-mail, IP, user agent, personal details) of audit rows; the chain still verifies',
        description:
          'GDPR erasure: the rows a user made or that are about them (`user_id`), and/or every row written before a time. The action, time and account id stay. Rows written before personal digests existed are counted in `kept_version_1` and left as they are.',
        body: Type.Object(
          { user_id: Type.Optional(Uuid), before: Type.Optional(DateTimeIn) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Type.Object({ erased: Type.Integer(), kept_version_1: Type.Integer() }) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const { user_id, before } = req.body;
        const result = await erasePersonal(tx, req.me.tenantId, {
          userId: user_id,
          before: before ? new Date(before) : undefined,
        });
        req.audit({
          action: 'audit.personal_erased',
          resourceType: 'audit_log',
          resourceId: user_id ?? null,
          details: { ...result, before: before ?? null },
        });
        return result;
      }),
  );
};
