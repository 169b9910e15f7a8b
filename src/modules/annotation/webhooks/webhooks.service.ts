import { randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { SecretBox } from '../../../platform/crypto/secrets.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { decodeCursor, encodeCursor } from '../../../platform/db/pagination.ts';
import { badRequest, notFound } from '../../../platform/errors/problem.ts';
import type { JobQueue } from '../../../platform/jobs/queue.ts';
import { webhookDeliveries, webhooks } from '../schema.ts';
import { DELIVER_JOB } from './webhooks.jobs.ts';

/** Label Studio's webhook event names. */
export const WEBHOOK_EVENTS = [
  'PROJECT_CREATED',
  'PROJECT_UPDATED',
  'PROJECT_DELETED',
  'TASKS_CREATED',
  'TASKS_DELETED',
  'ANNOTATION_CREATED',
  'ANNOTATIONS_CREATED',
  'ANNOTATION_UPDATED',
  'ANNOTATIONS_DELETED',
  'REVIEW_CREATED',
  'REVIEW_UPDATED',
  'REVIEWS_DELETED',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const SIGNATURE_HEADER = 'x-superinsight-signature';

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest('webhook.url_invalid', 'The webhook URL is not a URL.', [
      { path: 'body/url', message: 'is not a URL' },
    ]);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw badRequest('webhook.url_scheme', 'A webhook URL must use http or https.', [
      { path: 'body/url', message: 'must be http(s)' },
    ]);
  }
}

export function view(w: typeof webhooks.$inferSelect) {
  return {
    id: w.id,
    project_id: w.projectId,
    url: w.url,
    events: w.events,
    send_payload: w.sendPayload,
    headers: w.headers,
    active: w.active,
    created_at: w.createdAt,
    updated_at: w.updatedAt,
  };
}

export interface WebhookInput {
  url: string;
  events: string[];
  projectId?: number | null;
  secret?: string;
  sendPayload?: boolean;
  headers?: Record<string, string>;
  active?: boolean;
}

export async function createWebhook(
  tx: Executor,
  box: SecretBox,
  tenantId: string,
  input: WebhookInput,
  by: string,
) {
  checkUrl(input.url);
  const secret = input.secret ?? randomBytes(24).toString('base64url');
  const [row] = await tx
    .insert(webhooks)
    .values({
      tenantId,
      projectId: input.projectId ?? null,
      url: input.url,
      events: input.events,
      secretEncrypted: await box.encrypt(tx, secret),
      sendPayload: input.sendPayload ?? true,
      headers: input.headers ?? {},
      active: input.active ?? true,
      createdBy: by,
    })
    .returning();
  return { ...view(row!), secret };
}

export async function getWebhook(tx: Executor, tenantId: string, id: number) {
  const [row] = await tx
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.tenantId, tenantId), eq(webhooks.id, id)));
  if (!row) throw notFound('webhook.not_found', 'The webhook');
  return row;
}

export async function updateWebhook(
  tx: Executor,
  box: SecretBox,
  tenantId: string,
  id: number,
  input: Partial<WebhookInput>,
) {
  await getWebhook(tx, tenantId, id);
  if (input.url) checkUrl(input.url);
  const [row] = await tx
    .update(webhooks)
    .set({
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.events !== undefined ? { events: input.events } : {}),
      ...(input.sendPayload !== undefined ? { sendPayload: input.sendPayload } : {}),
      ...(input.headers !== undefined ? { headers: input.headers } : {}),
      ...(input.active !== undefined ? { active: input.active } : {}),
      ...(input.secret !== undefined ? { secretEncrypted: await box.encrypt(tx, input.secret) } : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(webhooks.id, id))
    .returning();
  return view(row!);
}

export async function listDeliveries(
  tx: Executor,
  tenantId: string,
  webhookId: number,
  limit: number,
  cursor?: string,
) {
  await getWebhook(tx, tenantId, webhookId);
  const before = decodeCursor(cursor, 1)?.[0];
  const rows = await tx
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.webhookId, webhookId),
        before === undefined ? undefined : lt(webhookDeliveries.id, Number(before)),
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  return {
    items: items.map((d) => ({
      id: d.id,
      event: d.event,
      status: d.status,
      attempts: d.attempts,
      response_status: d.responseStatus,
      error: d.error,
      created_at: d.createdAt,
      delivered_at: d.deliveredAt,
    })),
    next_cursor: rows.length > limit ? encodeCursor([items.at(-1)!.id]) : null,
  };
}

/**
 * Records an event for every matching webhook and queues its delivery, in the caller's
 * transaction: a rolled-back change sends nothing, and delivery never waits on the request.
 */
export async function emitEvent(
  tx: Executor,
  queue: JobQueue,
  event: {
    tenantId: string;
    projectId: number | null;
    action: WebhookEvent;
    payload: Record<string, unknown>;
    userId?: string;
  },
): Promise<number> {
  const hooks = await tx
    .select({ id: webhooks.id, sendPayload: webhooks.sendPayload })
    .from(webhooks)
    .where(
      and(
        eq(webhooks.tenantId, event.tenantId),
        eq(webhooks.active, true),
        sql`${event.action} = any(${webhooks.events})`,
        event.projectId === null
          ? isNull(webhooks.projectId)
          : or(isNull(webhooks.projectId), eq(webhooks.projectId, event.projectId)),
      ),
    );
  for (const hook of hooks) {
    const payload = hook.sendPayload ? { action: event.action, ...event.payload } : { action: event.action };
    const [delivery] = await tx
      .insert(webhookDeliveries)
      .values({ tenantId: event.tenantId, webhookId: hook.id, event: event.action, payload })
      .returning({ id: webhookDeliveries.id });
    await queue.enqueue(tx, {
      tenantId: event.tenantId,
      kind: DELIVER_JOB,
      payload: { deliveryId: delivery!.id },
      createdBy: event.userId ?? null,
    });
  }
  return hooks.length;
}

/** The event of a test delivery: not one Label Studio sends, so a receiver can tell it apart. */
export const TEST_EVENT = 'WEBHOOK_TEST';

/**
 * Queues one signed test delivery to a webhook, active or not, through the same job and log
 * as real events: the console's "Send test" shows whether the endpoint answers.
 */
export async function sendTestDelivery(
  tx: Executor,
  queue: JobQueue,
  hook: typeof webhooks.$inferSelect,
  userId: string,
) {
  const payload = { action: TEST_EVENT, webhook: { id: hook.id, project_id: hook.projectId } };
  const [delivery] = await tx
    .insert(webhookDeliveries)
    .values({ tenantId: hook.tenantId, webhookId: hook.id, event: TEST_EVENT, payload })
    .returning();
  await queue.enqueue(tx, {
    tenantId: hook.tenantId,
    kind: DELIVER_JOB,
    payload: { deliveryId: delivery!.id },
    createdBy: userId,
  });
  return delivery!;
}
