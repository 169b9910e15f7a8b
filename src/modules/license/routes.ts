import { Readable } from 'node:stream';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { stringify } from 'csv-stringify';
import type { FastifyRequest } from 'fastify';
import { PageQuery, pageOf } from '../../platform/db/pagination.ts';
import { DateTime, Nullable } from '../../platform/http/schemas.ts';
import { editionWith, FEATURES, LIMIT_NAMES } from './editions.ts';
import { usage } from './limits.ts';
import * as service from './service.ts';
import { type LicenseState, licenseOf } from './state.ts';

const Limit = Type.Object({
  name: Type.String(),
  allowed: Nullable(Type.Integer()),
  in_use: Nullable(Type.Integer()),
  /** For storage_gb: the bytes held, as the limit's whole gigabytes would hide them. */
  in_use_bytes: Type.Optional(Type.Integer()),
});

const Status = Type.Object({
  status: Type.String(),
  edition: Type.String(),
  message: Type.String(),
  warning: Nullable(Type.Object({ level: Type.String(), message: Type.String() })),
  features: Type.Array(
    Type.Object({
      name: Type.String(),
      description: Type.String(),
      enabled: Type.Boolean(),
      /** Why it is locked: the edition that has it. */
      requires_edition: Type.String(),
    }),
  ),
  limits: Type.Array(Limit),
  license: Nullable(
    Type.Object({
      id: Type.String(),
      licensee: Type.String(),
      edition: Type.String(),
      validity: Type.String(),
      key_id: Type.String(),
      issued_at: Type.String(),
      not_before: Type.String(),
      expires_at: Nullable(Type.String()),
      grace_days: Type.Integer(),
      grace_ends_at: Nullable(DateTime),
      activation_required: Type.Boolean(),
      installed_at: DateTime,
    }),
  ),
  activation: Nullable(
    Type.Object({
      kind: Type.String(),
      activated_at: Nullable(DateTime),
      server_url: Nullable(Type.String()),
    }),
  ),
  trial: Type.Object({ started_at: DateTime, ends_at: DateTime }),
  fingerprint: Type.String(),
});

const HistoryItem = Type.Object({
  id: Type.String(),
  event: Type.String(),
  license_id: Nullable(Type.String()),
  tenant_id: Nullable(Type.String()),
  actor_id: Nullable(Type.String()),
  message: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
  created_at: DateTime,
});

const CSV_COLUMNS = [
  'id',
  'created_at',
  'event',
  'license_id',
  'tenant_id',
  'actor_id',
  'message',
  'details',
];

type HistoryRow = Awaited<ReturnType<typeof service.history>>['items'][number];

function historyItem(r: HistoryRow) {
  return {
    id: r.id,
    event: r.event,
    license_id: r.licenseId,
    tenant_id: r.tenantId,
    actor_id: r.actorId,
    message: r.message,
    details: r.details,
    created_at: r.createdAt,
  };
}

type Usage = Awaited<ReturnType<typeof usage>>;

function limitView(name: (typeof LIMIT_NAMES)[number], allowed: number | undefined, used: Usage) {
  const base = { name, allowed: allowed ?? null };
  if (name === 'storage_gb')
    return { ...base, in_use: Math.ceil(used.storage_bytes / 1024 ** 3), in_use_bytes: used.storage_bytes };
  return { ...base, in_use: name === 'machines' ? null : used[name] };
}

function view(state: LicenseState, used: Usage) {
  const l = state.license;
  return {
    status: state.status,
    edition: state.edition,
    message: state.message,
    warning: state.warning,
    features: (Object.keys(FEATURES) as (keyof typeof FEATURES)[]).map((name) => ({
      name,
      description: FEATURES[name],
      enabled: state.features.includes(name),
      requires_edition: editionWith(name),
    })),
    limits: LIMIT_NAMES.map((name) => limitView(name, state.limits[name], used)),
    license: l && {
      id: l.id,
      licensee: l.licensee,
      edition: l.edition,
      validity: l.validity,
      key_id: l.kid,
      issued_at: l.issued_at,
      not_before: l.not_before,
      expires_at: l.expires_at ?? null,
      grace_days: l.grace_days,
      grace_ends_at: state.grace_ends_at,
      activation_required: l.activation === 'required',
      installed_at: l.installed_at,
    },
    activation: state.activation,
    trial: state.trial,
    fingerprint: state.fingerprint,
  };
}

const Notice = Type.Object({
  /** What the console's banner says: a warning before expiry, grace, or running as basic after. */
  state: Nullable(Type.Union([Type.Literal('warning'), Type.Literal('grace'), Type.Literal('expired')])),
  status: Type.String(),
  edition: Type.String(),
  /** Days until expiry (warning), until grace ends (grace); null once expired. */
  days_left: Nullable(Type.Integer()),
  message: Type.String(),
});

function notice(state: LicenseState, now: number) {
  const ceilDays = (end: string | Date | null | undefined) =>
    end ? Math.max(0, Math.ceil((new Date(end).getTime() - now) / 86_400_000)) : null;
  const base = {
    status: state.status,
    edition: state.edition,
    message: state.warning?.message ?? state.message,
  };
  if (state.warning?.level === 'grace')
    return { ...base, state: 'grace' as const, days_left: ceilDays(state.grace_ends_at) };
  if (state.warning)
    return { ...base, state: 'warning' as const, days_left: ceilDays(state.license?.expires_at) };
  if (state.status === 'expired' || state.status === 'trial_ended')
    return { ...base, state: 'expired' as const, days_left: null };
  return { ...base, state: null, days_left: null };
}

/** Administration → License: the installation's license, its limits, activation and history. */
export const licenseRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { platform } = app;
  const db = platform.database.db;
  const license = licenseOf(platform);
  const current = async () => view(await license.state(), await usage(platform, db));
  const audited = (req: FastifyRequest, action: string, details: Record<string, unknown> = {}) =>
    req.tx(async () => req.audit({ action, resourceType: 'license', resourceId: null, details }));
  const manage = { permission: 'license:manage', platformOwner: true } as const;

  app.get(
    '/license',
    {
      config: { permission: 'license:read' },
      schema: {
        tags: ['license'],
        summary: 'The license in force: edition, features, limits and usage, validity',
        response: { 200: Status },
      },
    },
    async () => current(),
  );

  app.get(
    '/license/notice',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['license'],
        summary:
          "The license's state for the console's banner (expiry warning, grace, expired), for every member",
        response: { 200: Notice },
      },
    },
    async () => notice(await license.state(), license.now()),
  );

  app.put(
    '/license',
    {
      config: manage,
      schema: {
        tags: ['license'],
        summary: 'Install a license key (it replaces the one in force)',
        body: Type.Object(
          { key: Type.String({ minLength: 1, maxLength: 20_000 }) },
          { additionalProperties: false },
        ),
        response: { 200: Status },
      },
    },
    async (req) => {
      const state = await service.installLicense(platform, req.body.key, req.me);
      await audited(req, 'license.installed', { license_id: state.license?.id, edition: state.edition });
      return current();
    },
  );

  app.post(
    '/license/activation/request',
    {
      config: manage,
      schema: {
        tags: ['license'],
        summary: 'Make an offline activation request code for the vendor',
        response: { 201: Type.Object({ request_code: Type.String(), fingerprint: Type.String() }) },
      },
    },
    async (req, reply) => {
      const code = await service.requestCode(platform);
      await audited(req, 'license.activation_requested', { fingerprint: code.fingerprint });
      return reply.code(201).send(code);
    },
  );

  app.post(
    '/license/activation/offline',
    {
      config: manage,
      schema: {
        tags: ['license'],
        summary: 'Upload the activation file the vendor made from the request code',
        body: Type.Object(
          { activation: Type.String({ minLength: 1, maxLength: 20_000 }) },
          { additionalProperties: false },
        ),
        response: { 200: Status },
      },
    },
    async (req) => {
      await service.activateOffline(platform, req.body.activation, req.me);
      await audited(req, 'license.activated', { kind: 'offline' });
      return current();
    },
  );

  app.post(
    '/license/activation/online',
    {
      config: manage,
      schema: {
        tags: ['license'],
        summary: 'Activate against a license server',
        body: Type.Object(
          { server_url: Type.Optional(Type.String({ format: 'uri', maxLength: 2000 })) },
          { additionalProperties: false },
        ),
        response: { 200: Status },
      },
    },
    async (req) => {
      await service.activateOnline(platform, req.body.server_url, req.me);
      await audited(req, 'license.activated', { kind: 'online', server_url: req.body.server_url ?? null });
      return current();
    },
  );

  app.delete(
    '/license/activation',
    {
      config: manage,
      schema: {
        tags: ['license'],
        summary: "Deactivate this machine's activation (frees one machine)",
        response: { 200: Status },
      },
    },
    async (req) => {
      await service.deactivate(platform, req.me);
      await audited(req, 'license.deactivated');
      return current();
    },
  );

  app.get(
    '/license/history',
    {
      config: { permission: 'license:read' },
      schema: {
        tags: ['license'],
        summary: "The license's history: installs, activations, refusals, expiry transitions",
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(HistoryItem) },
      },
    },
    async (req) => {
      const page = await service.history(db, req.me.isPlatformOwner ? null : req.me.tenantId, {
        limit: req.query.limit ?? 50,
        cursor: req.query.cursor,
      });
      return { next_cursor: page.next_cursor, items: page.items.map(historyItem) };
    },
  );

  app.get(
    '/license/history/export',
    {
      config: { permission: 'license:read' },
      schema: {
        tags: ['license'],
        summary: "Stream the license's whole history (as the history route scopes it) as CSV or JSON",
        querystring: Type.Object({
          format: Type.Union([Type.Literal('csv'), Type.Literal('json')], { default: 'json' }),
        }),
        produces: ['text/csv', 'application/json'],
      },
    },
    async (req, reply) => {
      const { format } = req.query;
      await audited(req, 'license.history_exported', { format });
      const rows = service.historyRows(db, req.me.isPlatformOwner ? null : req.me.tenantId);
      const stamp = new Date().toISOString().slice(0, 10);
      reply.header('content-disposition', `attachment; filename="license-history-${stamp}.${format}"`);
      if (format === 'csv') {
        const csv = stringify({ header: true, columns: CSV_COLUMNS });
        Readable.from(
          (async function* () {
            for await (const r of rows)
              yield {
                ...historyItem(r),
                created_at: r.createdAt.toISOString(),
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
            yield (first ? '\n' : ',\n') + JSON.stringify(historyItem(r));
            first = false;
          }
          yield '\n]\n';
        })(),
      );
      return reply.type('application/json; charset=utf-8').send(json);
    },
  );
};
