import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { type UserLanguage, users } from '../../../platform/auth/schema.ts';
import { sign } from '../../../platform/crypto/signing.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { newestFirst, type PageRequest } from '../../../platform/db/pagination.ts';
import { notFound } from '../../../platform/errors/problem.ts';
import type { DomainEvent } from '../../../platform/events/index.ts';
import type { Platform } from '../../../platform/index.ts';
import { type AlertRecipients, alertConfigs, notificationDeliveries, notifications } from '../schema.ts';
import { DELIVER_JOB } from './notifications.jobs.ts';

export const SIGNATURE_HEADER = 'x-superinsight-signature';
const DELIVERY_TIMEOUT_MS = 10_000;

export type Channel = 'in_app' | 'webhook' | 'email';

export interface Message {
  tenantId: string;
  projectId: number;
  /** QUALITY_ALERT, QUALITY_ALERT_ESCALATED, QUALITY_REPORT. */
  event: string;
  subject: string;
  text: string;
  data: Record<string, unknown>;
  reportRunId?: number;
  /** The subject and text in other languages: an e-mail to a user who chose one gets it. */
  localized?: Partial<Record<UserLanguage, { subject: string; text: string }>>;
}

/** The language each address's account chose, for the addresses that have an account. */
async function languagesOf(tx: Executor, emails: string[]): Promise<Map<string, UserLanguage>> {
  if (!emails.length) return new Map();
  const rows = await tx
    .select({ email: users.email, language: users.language })
    .from(users)
    .where(
      inArray(
        sql`lower(${users.email})`,
        emails.map((e) => e.toLowerCase()),
      ),
    );
  return new Map(rows.flatMap((r) => (r.language ? [[r.email.toLowerCase(), r.language] as const] : [])));
}

/**
 * Sends a message on each channel: in-app rows now (same transaction), webhook and e-mail
 * as deliveries a queued job sends with retries.
 */
export async function dispatch(
  tx: Executor,
  platform: Platform,
  channels: string[],
  recipients: AlertRecipients,
  message: Message,
): Promise<void> {
  if (channels.includes('in_app'))
    await notifyInApp(tx, message.tenantId, recipients.userIds, {
      kind: message.event,
      title: message.subject,
      body: message.text,
      data: { project_id: message.projectId, ...message.data },
    });
  const targets: { channel: 'webhook' | 'email'; target: string }[] = [];
  if (channels.includes('webhook')) {
    const [config] = await tx
      .select({ url: alertConfigs.webhookUrl })
      .from(alertConfigs)
      .where(eq(alertConfigs.projectId, message.projectId));
    if (config?.url) targets.push({ channel: 'webhook', target: config.url });
  }
  if (channels.includes('email'))
    for (const email of recipients.emails) targets.push({ channel: 'email', target: email });
  const languages = message.localized
    ? await languagesOf(
        tx,
        targets.filter((t) => t.channel === 'email').map((t) => t.target),
      )
    : new Map<string, UserLanguage>();
  for (const t of targets) {
    const language = t.channel === 'email' ? languages.get(t.target.toLowerCase()) : undefined;
    const words = (language && message.localized?.[language]) || message;
    await queueDelivery(tx, platform, message.tenantId, message.projectId, t, {
      event: message.event,
      subject: words.subject,
      payload: { event: message.event, text: words.text, project_id: message.projectId, ...message.data },
      reportRunId: message.reportRunId ?? null,
    });
  }
}

/**
 * Records one webhook or e-mail delivery and queues its job. Without SMTP settings an
 * e-mail is recorded as `disabled` and nothing is queued.
 */
async function queueDelivery(
  tx: Executor,
  platform: Platform,
  tenantId: string,
  projectId: number | null,
  to: { channel: 'webhook' | 'email'; target: string },
  content: { event: string; subject: string; payload: Record<string, unknown>; reportRunId?: number | null },
): Promise<void> {
  const disabled = to.channel === 'email' && !platform.config.smtp;
  const [delivery] = await tx
    .insert(notificationDeliveries)
    .values({
      tenantId,
      projectId,
      channel: to.channel,
      target: to.target,
      event: content.event,
      subject: content.subject,
      payload: content.payload,
      reportRunId: content.reportRunId ?? null,
      status: disabled ? 'disabled' : 'pending',
      error: disabled ? 'e-mail is not configured (SMTP_URL or SMTP_HOST unset)' : null,
    })
    .returning({ id: notificationDeliveries.id });
  if (disabled) return;
  await platform.queue.enqueue(tx, { tenantId, kind: DELIVER_JOB, payload: { deliveryId: delivery!.id } });
}

/** E-mails to members of a tenant outside any project, sent by the delivery job with retries. */
export async function emailTenant(
  tx: Executor,
  platform: Platform,
  tenantId: string,
  emails: string[],
  note: { event: string; subject: string; text: string; data: Record<string, unknown> },
): Promise<void> {
  for (const email of emails)
    await queueDelivery(
      tx,
      platform,
      tenantId,
      null,
      { channel: 'email', target: email },
      {
        event: note.event,
        subject: note.subject,
        payload: { event: note.event, text: note.text, ...note.data },
      },
    );
}

/** In-app notifications for members of a tenant, in the caller's transaction. */
export async function notifyInApp(
  tx: Executor,
  tenantId: string,
  userIds: string[],
  note: { kind: string; title: string; body: string; data: Record<string, unknown> },
): Promise<void> {
  if (!userIds.length) return;
  await tx.insert(notifications).values(userIds.map((userId) => ({ tenantId, userId, ...note })));
}

/**
 * A comment on someone's annotation, or a reply in their thread, tells them in-app (kind
 * COMMENT_CREATED; the console names the task from `data`, the body is the comment).
 */
export async function notifyOfComment(tx: Executor, event: DomainEvent<'COMMENT_CREATED'>): Promise<void> {
  const { comment, recipients, task } = event.payload;
  await notifyInApp(tx, event.tenantId, recipients, {
    kind: 'COMMENT_CREATED',
    title: `${comment.author_name || 'Someone'} commented on task ${task.id}`,
    body: comment.text,
    data: {
      project_id: event.payload.project.id,
      task_id: task.id,
      comment_id: comment.id,
      annotation_id: comment.annotation,
      author_name: comment.author_name,
    },
  });
}

type Delivery = typeof notificationDeliveries.$inferSelect;

export async function sendWebhook(platform: Platform, d: Delivery, secret: string | null): Promise<number> {
  const body = JSON.stringify(d.payload);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const res = await platform.outbound.request(d.target, {
    method: 'POST',
    timeoutMs: DELIVERY_TIMEOUT_MS,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'SuperInsight-Quality/1',
      'x-superinsight-event': d.event,
      'x-superinsight-delivery': String(d.id),
      'x-superinsight-timestamp': timestamp,
      ...(secret ? { [SIGNATURE_HEADER]: sign(secret, timestamp, body) } : {}),
    },
    body,
  });
  if (res.status < 200 || res.status >= 300) throw new Error(`the endpoint answered ${res.status}`);
  platform.log.info({ delivery: d.id }, 'quality webhook delivered');
  return res.status;
}

export async function sendEmail(
  platform: Platform,
  d: Delivery,
  attachment: { filename: string; content: Buffer; contentType: string } | null,
): Promise<void> {
  const smtp = platform.config.smtp;
  if (!smtp) throw new Error('e-mail is not configured');
  // Loaded on first use: ~15 MB that an idle platform need not hold.
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport(smtp.url);
  try {
    await transport.sendMail({
      from: smtp.from,
      to: d.target,
      subject: d.subject,
      text: String(d.payload.text ?? ''),
      headers: { 'X-SuperInsight-Event': d.event },
      attachments: attachment ? [attachment] : [],
    });
  } finally {
    transport.close();
  }
}

export async function listDeliveries(tx: Executor, projectId: number, page: PageRequest) {
  const where = [eq(notificationDeliveries.projectId, projectId)];
  return newestFirst(tx, notificationDeliveries, where, page, (d) => ({
    id: d.id,
    channel: d.channel,
    target: d.target,
    event: d.event,
    subject: d.subject,
    status: d.status,
    attempts: d.attempts,
    response_status: d.responseStatus,
    error: d.error,
    report_run_id: d.reportRunId,
    created_at: d.createdAt,
    delivered_at: d.deliveredAt,
  }));
}

// ---------------------------------------------------------------- in-app

const notificationView = (n: typeof notifications.$inferSelect) => ({
  id: n.id,
  kind: n.kind,
  title: n.title,
  body: n.body,
  data: n.data,
  read_at: n.readAt,
  created_at: n.createdAt,
});

/**
 * The caller's notifications, newest first; `after` (the highest id the console has seen)
 * returns only newer ones, so a console polls cheaply.
 */
export async function listNotifications(
  tx: Executor,
  userId: string,
  opts: { unread?: boolean; after?: number } & PageRequest,
) {
  const where = [
    eq(notifications.userId, userId),
    opts.unread ? isNull(notifications.readAt) : undefined,
    opts.after !== undefined ? sql`${notifications.id} > ${opts.after}` : undefined,
  ];
  const page = await newestFirst(tx, notifications, where, opts, notificationView);
  const [unread] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
  return { items: page.items, unread: unread?.n ?? 0, next_cursor: page.next_cursor };
}

export async function markRead(tx: Executor, userId: string, id: number) {
  const [row] = await tx
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
    .where(and(eq(notifications.userId, userId), eq(notifications.id, id)))
    .returning();
  if (!row) throw notFound('notification.not_found', 'The notification');
  return notificationView(row);
}
