import { and, asc, eq, gt, lt, or, sql } from 'drizzle-orm';
import type { Principal } from '../../../platform/auth/principal.ts';
import type { SecretBox } from '../../../platform/crypto/secrets.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { newestFirst, type PageRequest } from '../../../platform/db/pagination.ts';
import { badRequest, conflict, notFound } from '../../../platform/errors/problem.ts';
import type { Platform } from '../../../platform/index.ts';
import { submittedOfSameTask } from '../../annotation/index.ts';
import { loadRow } from '../access.ts';
import { dispatch } from '../notifications/notifications.service.ts';
import { requireProject } from '../rules/rules.service.ts';
import { resultAgreement } from '../rules/rules.ts';
import {
  type AlertRecipients,
  alertConfigs,
  qualityAlerts,
  qualityScores,
  type SEVERITIES,
} from '../schema.ts';
import { withTaskIds } from '../task-links.ts';

export const METRICS = [
  'total',
  'accuracy',
  'completeness',
  'timeliness',
  'consistency',
  'agreement',
] as const;
export type Metric = (typeof METRICS)[number];
type Severity = (typeof SEVERITIES)[number];
type AlertConfig = typeof alertConfigs.$inferSelect;
export type Alert = typeof qualityAlerts.$inferSelect;

/** Below 0.3 critical, below 0.5 high, below 0.7 medium, else low. */
export function severityOf(value: number): Severity {
  if (value < 0.3) return 'critical';
  if (value < 0.5) return 'high';
  if (value < 0.7) return 'medium';
  return 'low';
}

/** Scores evaluated per pass of the sweep, per project. */
const EVALUATE_BATCH = 1000;
/** Escalation stops rising here. */
const MAX_ESCALATION = 5;

export function alertConfigView(c: AlertConfig) {
  return {
    project_id: c.projectId,
    enabled: c.enabled,
    thresholds: c.thresholds,
    channels: c.channels,
    recipients: { user_ids: c.recipients.userIds, emails: c.recipients.emails },
    webhook_url: c.webhookUrl,
    webhook_secret_set: c.webhookSecretEncrypted !== null,
    silence_until: c.silenceUntil,
    escalate_after_hours: c.escalateAfterHours,
    escalation_recipients: c.escalationRecipients
      ? { user_ids: c.escalationRecipients.userIds, emails: c.escalationRecipients.emails }
      : null,
    updated_at: c.updatedAt,
  };
}

export function alertView(a: Alert) {
  return {
    id: a.id,
    project_id: a.projectId,
    metric: a.metric,
    value: a.value,
    threshold: a.threshold,
    severity: a.severity,
    status: a.status,
    escalation_level: a.escalationLevel,
    annotation_id: a.annotationId,
    score_id: a.scoreId,
    message: a.message,
    acknowledged_by: a.acknowledgedBy,
    acknowledged_at: a.acknowledgedAt,
    resolved_by: a.resolvedBy,
    resolved_at: a.resolvedAt,
    last_escalated_at: a.lastEscalatedAt,
    created_at: a.createdAt,
  };
}

export interface AlertConfigInput {
  enabled?: boolean;
  thresholds?: Partial<Record<Metric, number>>;
  channels?: ('in_app' | 'webhook' | 'email')[];
  recipients?: { user_ids?: string[]; emails?: string[] };
  webhook_url?: string | null;
  webhook_secret?: string;
  silence_until?: string | null;
  escalate_after_hours?: number | null;
  escalation_recipients?: { user_ids?: string[]; emails?: string[] } | null;
}

const toRecipients = (r: { user_ids?: string[]; emails?: string[] } | undefined): AlertRecipients => ({
  userIds: r?.user_ids ?? [],
  emails: r?.emails ?? [],
});

function checkWebhookUrl(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:')
    throw badRequest('quality_alert.webhook_url_invalid', 'webhook_url must be an http(s) URL.', [
      { path: 'body/webhook_url', message: 'invalid' },
    ]);
}

export async function getAlertConfig(tx: Executor, tenantId: string, projectId: number) {
  await requireProject(tx, tenantId, projectId);
  const [c] = await tx.select().from(alertConfigs).where(eq(alertConfigs.projectId, projectId));
  if (!c) throw notFound('alert_configuration.not_found', 'The alert configuration');
  return c;
}

/** Creates or changes the project's alert configuration (a PUT: unset fields keep their value). */
export async function putAlertConfig(
  tx: Executor,
  box: SecretBox,
  tenantId: string,
  projectId: number,
  input: AlertConfigInput,
): Promise<AlertConfig> {
  await requireProject(tx, tenantId, projectId);
  if (input.webhook_url) checkWebhookUrl(input.webhook_url);
  const [current] = await tx.select().from(alertConfigs).where(eq(alertConfigs.projectId, projectId));
  const channels = input.channels ?? current?.channels ?? ['in_app'];
  const webhookUrl = input.webhook_url !== undefined ? input.webhook_url : (current?.webhookUrl ?? null);
  if (channels.includes('webhook') && !webhookUrl)
    throw badRequest('quality_alert.webhook_url_required', 'The webhook channel needs webhook_url.', [
      { path: 'body/webhook_url', message: 'required' },
    ]);
  const values = {
    enabled: input.enabled ?? current?.enabled ?? true,
    thresholds: input.thresholds
      ? (input.thresholds as Record<string, number>)
      : (current?.thresholds ?? { total: 0.7 }),
    channels,
    recipients: input.recipients
      ? toRecipients(input.recipients)
      : (current?.recipients ?? toRecipients(undefined)),
    webhookUrl,
    webhookSecretEncrypted:
      input.webhook_secret !== undefined
        ? await box.encrypt(tx, input.webhook_secret)
        : (current?.webhookSecretEncrypted ?? null),
    silenceUntil:
      input.silence_until !== undefined
        ? input.silence_until === null
          ? null
          : new Date(input.silence_until)
        : (current?.silenceUntil ?? null),
    escalateAfterHours:
      input.escalate_after_hours !== undefined
        ? input.escalate_after_hours
        : (current?.escalateAfterHours ?? null),
    escalationRecipients:
      input.escalation_recipients !== undefined
        ? input.escalation_recipients && toRecipients(input.escalation_recipients)
        : (current?.escalationRecipients ?? null),
    updatedAt: new Date(),
  };
  if (current) {
    const [row] = await tx
      .update(alertConfigs)
      .set(values)
      .where(eq(alertConfigs.id, current.id))
      .returning();
    return row!;
  }
  // A new configuration starts from the scores already there: it alerts on what comes next.
  const [last] = await tx
    .select({ id: sql<number>`coalesce(max(${qualityScores.id}), 0)` })
    .from(qualityScores)
    .where(eq(qualityScores.projectId, projectId));
  const [row] = await tx
    .insert(alertConfigs)
    .values({ tenantId, projectId, ...values, lastScoreId: Number(last?.id ?? 0) })
    .returning();
  return row!;
}

const silenced = (c: AlertConfig, now: Date) => c.silenceUntil !== null && c.silenceUntil > now;

const ZH_METRICS: Record<string, string> = {
  total: '总分',
  accuracy: '准确性',
  completeness: '完整性',
  timeliness: '及时性',
  consistency: '一致性',
  agreement: '一致率',
};
const ZH_SEVERITIES: Record<string, string> = { low: '低', medium: '中', high: '高', critical: '严重' };

/** The alert e-mail for a user who reads the console in Chinese (the stored message is English). */
function chineseAlert(alert: Alert, escalated: boolean) {
  const severity = ZH_SEVERITIES[alert.severity] ?? alert.severity;
  const what = `${ZH_METRICS[alert.metric] ?? alert.metric} ${Number(alert.value).toFixed(3)} 低于 ${alert.threshold}（标注 ${alert.annotationId}）`;
  return {
    subject: `[${severity}] ${escalated ? `已升级（第 ${alert.escalationLevel} 级）：` : ''}${what}`,
    text: `${what}\n项目 ${alert.projectId}，告警 ${alert.id}，严重程度：${severity}。`,
  };
}

async function notifyAlert(
  tx: Executor,
  platform: Platform,
  c: AlertConfig,
  alert: Alert,
  escalated: boolean,
) {
  const recipients = escalated ? (c.escalationRecipients ?? c.recipients) : c.recipients;
  const event = escalated ? 'QUALITY_ALERT_ESCALATED' : 'QUALITY_ALERT';
  await dispatch(tx, platform, c.channels, recipients, {
    tenantId: alert.tenantId,
    projectId: alert.projectId,
    event,
    subject: `[${alert.severity}] ${escalated ? `Escalated (level ${alert.escalationLevel}): ` : ''}${alert.message}`,
    text: `${alert.message}\nProject ${alert.projectId}, alert ${alert.id}, severity ${alert.severity}.`,
    data: { alert: alertView(alert) },
    localized: { 'zh-CN': chineseAlert(alert, escalated) },
  });
}

/** Agreement of an annotation with the other submitted annotations of its task, if any. */
async function agreementOf(tx: Executor, annotationId: number): Promise<number | null> {
  const rows = await submittedOfSameTask(tx, annotationId);
  const own = rows.find((r) => r.id === annotationId);
  const others = rows.filter((r) => r.id !== annotationId);
  if (!own || others.length === 0) return null;
  return others.reduce((s, o) => s + resultAgreement(own.result, o.result), 0) / others.length;
}

/**
 * Raises alerts for the project's annotation scores that arrived since the last pass and
 * fall below a threshold; the total's severity follows the score. Silenced configurations
 * record alerts without notifying.
 */
export async function evaluateScores(
  tx: Executor,
  platform: Platform,
  tenantId: string,
  projectId: number,
  now: Date,
): Promise<Alert[]> {
  const [c] = await tx
    .select()
    .from(alertConfigs)
    .where(and(eq(alertConfigs.projectId, projectId), eq(alertConfigs.enabled, true)))
    .for('update', { skipLocked: true });
  if (!c) return [];
  const scores = await tx
    .select()
    .from(qualityScores)
    .where(
      and(
        eq(qualityScores.projectId, projectId),
        eq(qualityScores.scope, 'annotation'),
        gt(qualityScores.id, c.lastScoreId),
      ),
    )
    .orderBy(asc(qualityScores.id))
    .limit(EVALUATE_BATCH);
  const raised: Alert[] = [];
  for (const s of scores) {
    for (const [metric, threshold] of Object.entries(c.thresholds)) {
      const value =
        metric === 'agreement'
          ? s.annotationId && (await agreementOf(tx, s.annotationId))
          : (s as Record<string, unknown>)[metric];
      if (value === null || value === undefined) continue;
      const v = Number(value);
      if (!(v < threshold)) continue;
      const [alert] = await tx
        .insert(qualityAlerts)
        .values({
          tenantId,
          projectId,
          metric,
          value: v,
          threshold,
          severity: severityOf(v),
          annotationId: s.annotationId,
          scoreId: s.id,
          message: `${metric} ${v.toFixed(3)} is below ${threshold} (annotation ${s.annotationId})`,
          createdAt: now,
        })
        .returning();
      raised.push(alert!);
      if (!silenced(c, now)) await notifyAlert(tx, platform, c, alert!, false);
    }
  }
  if (scores.length)
    await tx
      .update(alertConfigs)
      .set({ lastScoreId: scores.at(-1)!.id })
      .where(eq(alertConfigs.id, c.id));
  return raised;
}

/**
 * Open alerts unacknowledged for the configured hours (since raised or last escalated)
 * go up one level and reach the escalation recipients. Nothing escalates while silenced.
 */
export async function escalateDue(
  tx: Executor,
  platform: Platform,
  tenantId: string,
  now: Date,
  projectId?: number,
): Promise<Alert[]> {
  const due = await tx
    .select({ alert: qualityAlerts, config: alertConfigs })
    .from(qualityAlerts)
    .innerJoin(alertConfigs, eq(alertConfigs.projectId, qualityAlerts.projectId))
    .where(
      and(
        eq(qualityAlerts.tenantId, tenantId),
        eq(qualityAlerts.status, 'open'),
        lt(qualityAlerts.escalationLevel, MAX_ESCALATION),
        projectId !== undefined ? eq(qualityAlerts.projectId, projectId) : undefined,
        sql`${alertConfigs.escalateAfterHours} is not null`,
        or(
          sql`${alertConfigs.silenceUntil} is null`,
          sql`${alertConfigs.silenceUntil} <= ${now.toISOString()}::timestamptz`,
        ),
        sql`coalesce(${qualityAlerts.lastEscalatedAt}, ${qualityAlerts.createdAt})
          + make_interval(secs => ${alertConfigs.escalateAfterHours} * 3600) <= ${now.toISOString()}::timestamptz`,
      ),
    )
    .orderBy(asc(qualityAlerts.id))
    .for('update', { of: qualityAlerts, skipLocked: true });
  const out: Alert[] = [];
  for (const { alert, config } of due) {
    const [row] = await tx
      .update(qualityAlerts)
      .set({ escalationLevel: alert.escalationLevel + 1, lastEscalatedAt: now })
      .where(eq(qualityAlerts.id, alert.id))
      .returning();
    await notifyAlert(tx, platform, config, row!, true);
    out.push(row!);
  }
  return out;
}

/** acknowledge (stops escalation), resolve, or escalate now. */
export async function actOnAlert(
  tx: Executor,
  platform: Platform,
  actor: Principal,
  id: number,
  action: 'acknowledge' | 'resolve' | 'escalate',
  now: Date,
): Promise<Alert> {
  const by = actor.userId;
  const a = await loadRow(tx, actor, qualityAlerts, id, 'quality_alert.not_found', 'The alert');
  if (a.status === 'resolved') throw conflict('quality_alert.resolved', 'The alert is resolved.');
  if (action === 'acknowledge') {
    if (a.status !== 'open')
      throw conflict('quality_alert.acknowledged', 'The alert is already acknowledged.');
    const [row] = await tx
      .update(qualityAlerts)
      .set({ status: 'acknowledged', acknowledgedBy: by, acknowledgedAt: now })
      .where(eq(qualityAlerts.id, id))
      .returning();
    return row!;
  }
  if (action === 'resolve') {
    const [row] = await tx
      .update(qualityAlerts)
      .set({ status: 'resolved', resolvedBy: by, resolvedAt: now })
      .where(eq(qualityAlerts.id, id))
      .returning();
    return row!;
  }
  const [c] = await tx.select().from(alertConfigs).where(eq(alertConfigs.projectId, a.projectId));
  const [row] = await tx
    .update(qualityAlerts)
    .set({ escalationLevel: a.escalationLevel + 1, lastEscalatedAt: now })
    .where(eq(qualityAlerts.id, id))
    .returning();
  if (c) await notifyAlert(tx, platform, c, row!, true);
  return row!;
}

export async function listAlerts(
  tx: Executor,
  tenantId: string,
  projectId: number,
  query: { status?: Alert['status'] } & PageRequest,
) {
  await requireProject(tx, tenantId, projectId);
  const where = [
    eq(qualityAlerts.projectId, projectId),
    query.status ? eq(qualityAlerts.status, query.status) : undefined,
  ];
  const page = await newestFirst(tx, qualityAlerts, where, query, alertView);
  return { ...page, items: await withTaskIds(tx, page.items) };
}
