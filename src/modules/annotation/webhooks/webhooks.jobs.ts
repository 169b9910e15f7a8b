import { eq, sql } from 'drizzle-orm';
import { sign } from '../../../platform/crypto/signing.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { OutboundError } from '../../../platform/http/outbound.ts';
import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import { webhookDeliveries, webhooks } from '../schema.ts';
import { SIGNATURE_HEADER } from './webhooks.service.ts';

const DELIVERY_TIMEOUT_MS = 10_000;

export const DELIVER_JOB = jobKind<{ deliveryId: number }>('webhook.deliver', {
  retryLimit: 5,
  concurrency: 2,
});

/**
 * Delivers one recorded event: POSTs the JSON payload signed with HMAC-SHA256 over
 * `<timestamp>.<body>`. A non-2xx answer or a network error is retried by the queue with
 * backoff; the last failure marks the delivery failed.
 */
export function defineWebhookJobs(platform: Platform): void {
  platform.queue.define(DELIVER_JOB, async (ctx) => {
    const db = platform.database.db;
    const target = await inTenant(db, { tenantId: ctx.tenantId }, async (tx) => {
      const [row] = await tx
        .select({ delivery: webhookDeliveries, hook: webhooks })
        .from(webhookDeliveries)
        .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
        .where(eq(webhookDeliveries.id, ctx.payload.deliveryId));
      if (row?.delivery.status !== 'pending') return null;
      return { ...row, secret: await platform.secrets.decrypt(tx, row.hook.secretEncrypted) };
    });
    if (!target) return { skipped: true };
    const body = JSON.stringify(target.delivery.payload);
    const timestamp = String(Math.floor(Date.now() / 1000));
    let status: number | null = null;
    let error: string | null = null;
    let permanent = false;
    try {
      const res = await platform.outbound.request(target.hook.url, {
        method: 'POST',
        timeoutMs: DELIVERY_TIMEOUT_MS,
        headers: {
          ...target.hook.headers,
          'content-type': 'application/json',
          'user-agent': 'SuperInsight-Webhooks/1',
          'x-superinsight-event': target.delivery.event,
          'x-superinsight-delivery': String(target.delivery.id),
          'x-superinsight-timestamp': timestamp,
          [SIGNATURE_HEADER]: sign(target.secret, timestamp, body),
        },
        body,
      });
      status = res.status;
    } catch (err) {
      error = (err as Error).message;
      // A refused address stays refused: no retries.
      if (err instanceof OutboundError && err.reason === 'refused_address') permanent = true;
    }
    const ok = status !== null && status >= 200 && status < 300;
    if (!ok) error ??= `the endpoint answered ${status}`;
    await inTenant(db, { tenantId: ctx.tenantId }, (tx) =>
      tx
        .update(webhookDeliveries)
        .set({
          attempts: sql`${webhookDeliveries.attempts} + 1`,
          responseStatus: status,
          error: ok ? null : error,
          status: ok ? 'delivered' : ctx.lastAttempt || permanent ? 'failed' : 'pending',
          deliveredAt: ok ? sql`now()` : null,
        })
        .where(eq(webhookDeliveries.id, target.delivery.id)),
    );
    if (permanent) return { refused: true };
    if (!ok) throw new Error(`webhook delivery ${target.delivery.id}: ${error}`);
    return { status };
  });
}
