import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { FastifyReply } from 'fastify';
import { languageOf } from '../../platform/auth/language.ts';
import { decodeCursor, PageQuery, pageOf, toPage } from '../../platform/db/pagination.ts';
import { pgArray } from '../../platform/db/sql.ts';
import { notFound } from '../../platform/errors/problem.ts';
import { DateTime, DateTimeIn, Nullable, Uuid } from '../../platform/http/schemas.ts';
import * as bills from './bills.service.ts';
import { billingText, type Document, EXPORT_FORMATS, toCsv, toXlsx } from './export.ts';
import * as rules from './rules.service.ts';
import { BILL_STATES, billingWorkRecords, DIFFICULTIES, MODES } from './schema.ts';

const Id = Type.Integer({ minimum: 1 });
const IdParams = Type.Object({ id: Id });
const ProjectParams = Type.Object({ projectId: Id });
const Dec = (description: string) =>
  Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', maxLength: 40, description });
const Period = Type.String({ pattern: bills.PERIOD_PATTERN, description: 'YYYY-MM in the tenant time zone' });
const literals = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] });

const RuleOut = Type.Object({
  id: Type.Integer(),
  project_id: Nullable(Type.Integer()),
  name: Type.String(),
  created_by: Nullable(Type.String()),
  created_at: DateTime,
});
const Tier = Type.Object(
  { min: Dec('Lowest mean quality of the tier (inclusive)'), multiplier: Dec('Pay multiplier') },
  { additionalProperties: false },
);
const VersionOut = Type.Object({
  id: Type.Integer(),
  rule_id: Type.Integer(),
  version: Type.Integer(),
  status: Type.String(),
  mode: Type.String(),
  currency: Type.String(),
  count_rate: Type.String(),
  hour_rate: Type.String(),
  project_fee: Type.String(),
  quality_tiers: Type.Array(Tier),
  difficulty_multipliers: Type.Record(Type.String(), Type.String()),
  pay_rejected: Type.Boolean(),
  pay_skipped: Type.Boolean(),
  effective_from: DateTime,
  created_by: Nullable(Type.String()),
  approved_by: Nullable(Type.String()),
  approved_at: Nullable(DateTime),
  created_at: DateTime,
});
const SettingsOut = Type.Object({
  project_id: Type.Integer(),
  difficulty: Type.String(),
  lead_time_cap_seconds: Nullable(Type.Integer()),
});
const BillOut = Type.Object({
  id: Type.Integer(),
  period: Type.String(),
  time_zone: Type.String(),
  period_start: DateTime,
  period_end: DateTime,
  status: Type.String(),
  currency: Type.String(),
  total: Type.String({ description: 'Sum of the lines, in the currency minor unit' }),
  scope: Type.String({ description: 'tenant: every line; projects: only the projects the caller manages' }),
  rule_version_ids: Type.Array(Nullable(Type.Integer()), { description: 'null: the built-in default rule' }),
  job_id: Nullable(Type.String()),
  generated_at: Nullable(DateTime),
  issued_at: Nullable(DateTime),
  paid_at: Nullable(DateTime),
  voided_at: Nullable(DateTime),
  created_by: Nullable(Type.String()),
  created_at: DateTime,
});
const RecordOut = Type.Object({
  id: Type.Integer(),
  bill_id: Type.Integer(),
  kind: Type.String(),
  user_id: Nullable(Type.String()),
  project_id: Nullable(Type.Integer()),
  period: Type.String(),
  rule_version_id: Nullable(Type.Integer()),
  mode: Nullable(Type.String()),
  accepted_count: Type.Integer(),
  rejected_count: Type.Integer(),
  skipped_count: Type.Integer(),
  paid_count: Type.Integer(),
  billable_seconds: Type.String(),
  paid_seconds: Type.String(),
  hours: Type.String(),
  quality_score: Nullable(Type.String()),
  quality_multiplier: Type.String(),
  difficulty: Nullable(Type.String()),
  difficulty_multiplier: Type.String(),
  base_amount: Type.String(),
  amount: Type.String(),
  currency: Type.String(),
  note: Type.String(),
  created_by: Nullable(Type.String()),
  created_at: DateTime,
});
const StatementOut = Type.Object({
  id: Type.Integer(),
  bill_id: Type.Integer(),
  user_id: Type.String(),
  period: Type.String(),
  status: Type.String(),
  currency: Type.String(),
  total: Type.String(),
  lines: Type.Integer(),
  created_at: DateTime,
});
const WorkOut = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  task_id: Type.Integer(),
  annotation_id: Type.Integer(),
  user_id: Nullable(Type.String()),
  kind: Type.String(),
  units: Type.Integer(),
  lead_time: Type.String(),
  billable_seconds: Type.String(),
  was_cancelled: Type.Boolean(),
  review_status: Nullable(Type.String()),
  occurred_at: DateTime,
});
const Point = {
  amount: Type.String(),
  currency: Type.String(),
  hours: Type.String(),
  accepted: Type.Integer(),
  cost_per_accepted: Nullable(Type.String()),
};
const ExportQuery = Type.Object({ format: Type.Optional(literals(EXPORT_FORMATS)) });

async function sendDocument(reply: FastifyReply, format: string, name: string, doc: Document, json: unknown) {
  if (format === 'json')
    return reply.header('content-disposition', `attachment; filename="${name}.json"`).send(json);
  if (format === 'csv')
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}.csv"`)
      .send(toCsv(doc));
  return reply
    .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    .header('content-disposition', `attachment; filename="${name}.xlsx"`)
    .send(await toXlsx(doc));
}

export const billingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { platform } = app;

  // ------------------------------------------------------------ project settings
  app.get(
    '/billing/projects/:projectId/settings',
    {
      config: { permission: 'billing:read' },
      schema: {
        tags: ['billing'],
        summary: "A project's billing settings: difficulty and lead-time cap per annotation",
        params: ProjectParams,
        response: { 200: SettingsOut },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const visible = await bills.visibleProjects(tx, req.me);
        if (visible && !visible.includes(req.params.projectId))
          throw notFound('project.not_found', 'The project');
        return rules.getProjectSettings(tx, req.me, req.params.projectId);
      }),
  );

  app.put(
    '/billing/projects/:projectId/settings',
    {
      config: { permission: 'billing:manage' },
      schema: {
        tags: ['billing'],
        summary:
          "Set a project's difficulty (easy, normal, hard, expert) and lead-time cap (seconds per annotation)",
        description:
          'The cap applies to work recorded from now on; recorded work keeps the seconds it was given.',
        params: ProjectParams,
        body: Type.Object(
          {
            difficulty: Type.Optional(literals(DIFFICULTIES)),
            lead_time_cap_seconds: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 31_536_000 }))),
          },
          { additionalProperties: false },
        ),
        response: { 200: SettingsOut },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const out = await rules.putProjectSettings(tx, req.me, req.params.projectId, req.body);
        req.audit({
          action: 'billing.project_settings.updated',
          resourceType: 'project',
          resourceId: String(req.params.projectId),
          details: { ...req.body },
        });
        return out;
      }),
  );

  // ------------------------------------------------------------ rules and versions
  app.post(
    '/billing/rules',
    {
      config: { permission: 'billing:manage' },
      schema: {
        tags: ['billing'],
        summary: "Create the tenant's billing rule, or a project's (one each); its terms are versions",
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 200 }), project_id: Type.Optional(Nullable(Id)) },
          { additionalProperties: false },
        ),
        response: { 201: RuleOut },
      },
    },
    async (req, reply) => {
      const rule = await req.tx(async (tx) => {
        const rule = await rules.createRule(tx, req.me, req.body);
        req.audit({
          action: 'billing.rule.created',
          resourceType: 'billing_rule',
          resourceId: String(rule.id),
          details: { name: rule.name, project_id: rule.projectId },
        });
        return rule;
      });
      return reply.code(201).send(rules.ruleView(rule));
    },
  );

  app.get(
    '/billing/rules',
    {
      config: { permission: 'billing:read' },
      schema: {
        tags: ['billing'],
        summary: 'Billing rules of the tenant',
        response: { 200: Type.Array(RuleOut) },
      },
    },
    async (req) => req.tx(async (tx) => (await rules.listRules(tx, req.me)).map(rules.ruleView)),
  );

  app.get(
    '/billing/rules/:id',
    {
      config: { permission: 'billing:read' },
      schema: {
        tags: ['billing'],
        summary: 'A billing rule with its versions',
        params: IdParams,
        response: { 200: Type.Object({ rule: RuleOut, versions: Type.Array(VersionOut) }) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const { rule, versions } = await rules.getRule(tx, req.me, req.params.id);
        return { rule: rules.ruleView(rule), versions: versions.map(rules.versionView) };
      }),
  );

  app.post(
    '/billing/rules/:id/versions',
    {
      config: { permission: 'billing:manage' },
      schema: {
        tags: ['billing'],
        summary: 'Propose new terms (a draft until another admin approves it)',
        description:
          'mode: count (count_rate per paid annotation, default 0.10), time (hour_rate per hour of lead time, ' +
          'default 50.00), project (project_fee per month), hybrid (count plus time). quality_tiers: the highest ' +
          'tier whose min the mean quality reaches sets the multiplier; below every tier nothing is paid ' +
          '(default ≥0.90 ×1.2, ≥0.80 ×1.0, ≥0.70 ×0.9, ≥0.50 ×0.7). Work is paid by the approved version in ' +
          'force when it was done.',
        params: IdParams,
        body: Type.Object(
          {
            mode: literals(MODES),
            currency: Type.Optional(
              Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 (default CNY)' }),
            ),
            count_rate: Type.Optional(Dec('Per paid annotation')),
            hour_rate: Type.Optional(Dec('Per hour of paid lead time')),
            project_fee: Type.Optional(Dec('Per project and month (mode project)')),
            quality_tiers: Type.Optional(Type.Array(Tier, { maxItems: 20 })),
            difficulty_multipliers: Type.Optional(Type.Record(Type.String(), Dec('Multiplier'))),
            pay_rejected: Type.Optional(Type.Boolean()),
            pay_skipped: Type.Optional(Type.Boolean()),
            effective_from: DateTimeIn,
          },
          { additionalProperties: false },
        ),
        response: { 201: VersionOut },
      },
    },
    async (req, reply) => {
      const v = await req.tx(async (tx) => {
        const v = await rules.createVersion(tx, req.me, req.params.id, req.body);
        req.audit({
          action: 'billing.rule_version.created',
          resourceType: 'billing_rule_version',
          resourceId: String(v.id),
          details: { rule_id: v.ruleId, version: v.version, ...req.body },
        });
        return v;
      });
      return reply.code(201).send(rules.versionView(v));
    },
  );

  app.get(
    '/billing/rule-versions/:id',
    {
      config: { permission: 'billing:read' },
      schema: {
        tags: ['billing'],
        summary: 'A rule version',
        params: IdParams,
        response: { 200: VersionOut },
      },
    },
    async (req) => rules.versionView(await req.tx((tx) => rules.getVersion(tx, req.me, req.params.id))),
  );

  app.post(
    '/billing/rule-versions/:id/approve',
    {
      config: { permission: 'billing:approve' },
      schema: {
        tags: ['billing'],
        summary: 'Approve a draft version (not by its author)',
        params: IdParams,
        response: { 200: VersionOut },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const v = await rules.approveVersion(tx, req.me, req.params.id);
        req.audit({
          action: 'billing.rule_version.approved',
          resourceType: 'billing_rule_version',
          resourceId: String(v.id),
          details: { rule_id: v.ruleId, version: v.version },
        });
        return rules.versionView(v);
      }),
  );

  app.delete(
    '/billing/rule-versions/:id',
    {
      config: { permission: 'billing:manage' },
      schema: {
        tags: ['billing'],
        summary: 'Delete a draft version',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const v = await rules.deleteDraft(tx, req.me, req.params.id);
        req.audit({
          action: 'billing.rule_version.deleted',
          resourceType: 'billing_rule_version',
          resourceId: String(v.id),
          details: { rule_id: v.ruleId, version: v.version },
        });
      });
      return reply.code(204).send(null);
    },
  );

  // ------------------------------------------------------------ bills
  app.post(
    '/billing/bills',
    {
      config: { permission: 'billing:manage' },
      schema: {
        tags: ['billing'],
        summary: "Generate (or regenerate a draft of) the tenant's bill of a month; runs as a job",
        params: Type.Object({}),
        body: Type.Object({ period: Period }, { additionalProperties: false }),
        response: { 202: Type.Object({ bill: BillOut, job_id: Uuid }) },
      },
    },
    async (req, reply) => {
      const out = await req.tx(async (tx) => {
        const out = await bills.requestBill(tx, platform, req.me, req.body.period);
        req.audit({
          action: 'billing.bill.generate',
          resourceType: 'billing_bill',
          resourceId: String(out.bill.id),
          details: { period: req.body.period, job_id: out.jobId },
        });
        return out;
      });
      return reply.code(202).send({ bill: bills.billView(out.bill), job_id: out.jobId });
    },
  );

  app.get(
    '/billing/bills',
    {
      config: { permission: 'billing:read' },
      schema: {
        tags: ['billing'],
        summary: 'Bills of the tenant, newest first',
        querystring: Type.Object({ ...PageQuery, status: Type.Optional(literals(BILL_STATES)) }),
        response: { 200: pageOf(BillOut) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const p = req.me;
        const visible = await bills.visibleProjects(tx, p);
        const page = await bills.listBills(tx, p, { limit: req.query.limit ?? 50, ...req.query });
        const items = [];
        for (const b of page.items)
          items.push(
            visible === null
              ? bills.billView(b)
              : bills.billView(b, (await bills.billFor(tx, p, b.id)).totals),
          );
        return { items, next_cursor: page.next_cursor };
      }),
  );

  app.get(
    '/billing/bills/:id',
    {
      config: { permission: 'billing:read' },
      schema: { tags: ['billing'], summary: 'A bill', params: IdParams, response: { 200: BillOut } },
    },
    async (req) =>
      req.tx(async (tx) => {
        const { bill, totals } = await bills.billFor(tx, req.me, req.params.id);
        return bills.billView(bill, totals);
      }),
  );

  for (const action of ['issue', 'pay', 'void'] as const) {
    app.post(
      `/billing/bills/:id/${action}`,
      {
        config: { permission: 'billing:manage' },
        schema: {
          tags: ['billing'],
          summary: {
            issue: 'Issue a generated draft bill',
            pay: 'Mark an issued bill paid',
            void: 'Void a draft or issued bill',
          }[action],
          params: IdParams,
          response: { 200: BillOut },
        },
      },
      async (req) =>
        req.tx(async (tx) => {
          const bill = await bills.moveBill(tx, req.me, req.params.id, action);
          req.audit({
            action: `billing.bill.${action}`,
            resourceType: 'billing_bill',
            resourceId: String(bill.id),
            details: { period: bill.period, total: bill.total },
          });
          return bills.billView(bill);
        }),
    );
  }

  app.post(
    '/billing/bills/:id/adjustments',
    {
      config: { permission: 'billing:manage' },
      schema: {
        tags: ['billing'],
        summary: 'Correct a draft or issued bill with a new signed line (lines are never edited)',
        params: IdParams,
        body: Type.Object(
          {
            amount: Dec('Signed amount in the bill currency, at most its minor-unit places'),
            note: Type.String({ minLength: 1, maxLength: 2000 }),
            user_id: Type.Optional(Uuid),
            project_id: Type.Optional(Id),
          },
          { additionalProperties: false },
        ),
        response: { 201: RecordOut },
      },
    },
    async (req, reply) => {
      const rec = await req.tx(async (tx) => {
        const rec = await bills.addAdjustment(tx, req.me, req.params.id, req.body);
        req.audit({
          action: 'billing.bill.adjusted',
          resourceType: 'billing_bill',
          resourceId: String(req.params.id),
          details: { record: rec.id, ...req.body },
        });
        return rec;
      });
      return reply.code(201).send(bills.recordView(rec));
    },
  );

  app.get(
    '/billing/bills/:id/export',
    {
      config: { permission: 'billing:read' },
      schema: {
        tags: ['billing'],
        summary: 'A bill as xlsx (summary and detail sheets), CSV (lines) or JSON',
        params: IdParams,
        querystring: ExportQuery,
      },
    },
    async (req, reply) => {
      const { bill, doc, json } = await req.tx(async (tx) => {
        const { bill, totals, visible } = await bills.billFor(tx, req.me, req.params.id);
        const lines = (await bills.allLines(tx, bill.id, { visible })).map(bills.recordView);
        const view = bills.billView(bill, totals);
        const language = await languageOf(tx, req.me.userId, req.headers['accept-language']);
        const text = (key: string) => billingText(language, key);
        const doc: Document = {
          language,
          title: billingText(language, 'billTitle', { period: bill.period }),
          currency: view.currency,
          summary: [
            { label: text('bill'), value: bill.id },
            { label: text('period'), value: bill.period },
            { label: text('timeZone'), value: bill.timeZone },
            { label: text('status'), value: bill.status },
            { label: text('currency'), value: view.currency },
            { label: text('ruleVersions'), value: bill.ruleVersionIds.map((v) => v ?? 'default').join(', ') },
            { label: text('lines'), value: lines.length },
            { label: text('total'), value: view.total, money: true },
          ],
          lines: await bills.namedLines(tx, lines),
        };
        return { bill, doc, json: { bill: view, lines } };
      });
      return sendDocument(reply, req.query.format ?? 'xlsx', `bill-${bill.period}-${bill.id}`, doc, json);
    },
  );

  // ------------------------------------------------------------ records, statements, work
  app.get(
    '/billing/records',
    {
      config: { permission: 'billing:read' },
      schema: {
        tags: ['billing'],
        summary: 'Bill lines (billing_records) by bill, period, project or annotator',
        querystring: Type.Object({
          ...PageQuery,
          bill_id: Type.Optional(Id),
          period: Type.Optional(Period),
          project_id: Type.Optional(Id),
          user_id: Type.Optional(Uuid),
        }),
        response: { 200: pageOf(RecordOut) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const visible = await bills.visibleProjects(tx, req.me);
        const page = await bills.listRecords(tx, req.me, {
          ...req.query,
          limit: req.query.limit ?? 50,
          visible,
        });
        return { ...page, items: page.items.map(bills.recordView) };
      }),
  );

  app.get(
    '/billing/statements',
    {
      config: { permission: 'billing:read_own' },
      schema: {
        tags: ['billing'],
        summary:
          "Annotators' statements: one's own of issued and paid bills, or everyone's for billing readers",
        querystring: Type.Object({ ...PageQuery, bill_id: Type.Optional(Id), user_id: Type.Optional(Uuid) }),
        response: { 200: pageOf(StatementOut) },
      },
    },
    async (req) =>
      req.tx((tx) => bills.listStatements(tx, req.me, { ...req.query, limit: req.query.limit ?? 50 })),
  );

  app.get(
    '/billing/statements/:id',
    {
      config: { permission: 'billing:read_own' },
      schema: {
        tags: ['billing'],
        summary: 'A statement with its lines',
        params: IdParams,
        response: { 200: Type.Object({ statement: StatementOut, lines: Type.Array(RecordOut) }) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const { s, bill } = await bills.getStatement(tx, req.me, req.params.id);
        const lines = await bills.allLines(tx, bill.id, { userId: s.userId });
        return { statement: bills.statementView(s, bill), lines: lines.map(bills.recordView) };
      }),
  );

  app.get(
    '/billing/statements/:id/export',
    {
      config: { permission: 'billing:read_own' },
      schema: {
        tags: ['billing'],
        summary: 'A statement as xlsx (summary and detail sheets), CSV (lines) or JSON',
        params: IdParams,
        querystring: ExportQuery,
      },
    },
    async (req, reply) => {
      const { view, doc, lines } = await req.tx(async (tx) => {
        const { s, bill } = await bills.getStatement(tx, req.me, req.params.id);
        const lines = (await bills.allLines(tx, bill.id, { userId: s.userId })).map(bills.recordView);
        const view = bills.statementView(s, bill);
        const named = await bills.namedLines(tx, lines);
        const annotator = (await bills.namesOf(tx, [s.userId], [])).user(s.userId);
        const language = await languageOf(tx, req.me.userId, req.headers['accept-language']);
        const text = (key: string) => billingText(language, key);
        const doc: Document = {
          language,
          title: billingText(language, 'statementTitle', { period: bill.period }),
          currency: view.currency,
          summary: [
            { label: text('statement'), value: s.id },
            { label: text('bill'), value: bill.id },
            { label: text('annotator'), value: annotator?.name ?? '' },
            { label: text('email'), value: annotator?.email ?? '' },
            { label: text('annotatorId'), value: s.userId },
            { label: text('period'), value: bill.period },
            { label: text('status'), value: bill.status },
            { label: text('currency'), value: view.currency },
            { label: text('lines'), value: lines.length },
            { label: text('total'), value: view.total, money: true },
          ],
          lines: named,
        };
        return { view, doc, lines };
      });
      return sendDocument(reply, req.query.format ?? 'xlsx', `statement-${view.period}-${view.id}`, doc, {
        statement: view,
        lines,
      });
    },
  );

  app.get(
    '/billing/work-records',
    {
      config: { permission: 'billing:read' },
      schema: {
        tags: ['billing'],
        summary: 'Recorded billable work (one row per submission, skip, update and review), oldest first',
        querystring: Type.Object({
          ...PageQuery,
          project_id: Type.Optional(Id),
          user_id: Type.Optional(Uuid),
          annotation_id: Type.Optional(Id),
        }),
        response: { 200: pageOf(WorkOut) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const q = req.query;
        const limit = q.limit ?? 50;
        const visible = await bills.visibleProjects(tx, req.me);
        const after = decodeCursor(q.cursor, 1)?.[0];
        const w = billingWorkRecords;
        const rows = await tx
          .select()
          .from(w)
          .where(
            and(
              eq(w.tenantId, req.me.tenantId),
              q.project_id !== undefined ? eq(w.projectId, q.project_id) : undefined,
              q.user_id ? eq(w.userId, q.user_id) : undefined,
              q.annotation_id !== undefined ? eq(w.annotationId, q.annotation_id) : undefined,
              visible !== null ? sql`${w.projectId} = any(${pgArray(visible)}::bigint[])` : undefined,
              after !== undefined ? gt(w.id, Number(after)) : undefined,
            ),
          )
          .orderBy(asc(w.id))
          .limit(limit + 1);
        const page = toPage(rows, limit, (r) => [r.id]);
        return {
          ...page,
          items: page.items.map((r) => ({
            id: r.id,
            project_id: r.projectId,
            task_id: r.taskId,
            annotation_id: r.annotationId,
            user_id: r.userId,
            kind: r.kind,
            units: r.units,
            lead_time: formatDecimal(r.leadTime),
            billable_seconds: formatDecimal(r.billableSeconds),
            was_cancelled: r.wasCancelled,
            review_status: r.reviewStatus,
            occurred_at: r.occurredAt,
          })),
        };
      }),
  );

  app.get(
    '/billing/trends',
    {
      config: { permission: 'billing:read' },
      schema: {
        tags: ['billing'],
        summary:
          'Per month and per project: amount, work hours, accepted annotations, cost per accepted annotation',
        description: 'From the lines of bills that are not void; a project manager sees only their projects.',
        querystring: Type.Object({
          from: Type.Optional(Period),
          to: Type.Optional(Period),
          project_id: Type.Optional(Id),
        }),
        response: {
          200: Type.Object({
            months: Type.Array(Type.Object({ period: Type.String(), ...Point })),
            projects: Type.Array(
              Type.Object({ period: Type.String(), project_id: Type.Integer(), ...Point }),
            ),
          }),
        },
      },
    },
    async (req) => req.tx((tx) => bills.trends(tx, req.me, req.query)),
  );
};

/** A numeric as the shortest exact decimal string. */
function formatDecimal(v: string): string {
  return v.includes('.') ? v.replace(/\.?0+$/, '') : v;
}
