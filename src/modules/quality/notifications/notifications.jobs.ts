import { eq, sql } from 'drizzle-orm';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { OutboundError } from '../../../platform/http/outbound.ts';
import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import { renderRun } from '../reports/reports.service.ts';
import { alertConfigs, notificationDeliveries } from '../schema.ts';
import { sendEmail, sendWebhook } from './notifications.service.ts';

export const DELIVER_JOB = jobKind<{ deliveryId: number }>('quality.deliver', {
  retryLimit: 3,
  concurrency: 2,
});

/** Sends one delivery; a failure is retried by the queue, the last one marks it failed. */
export function defineDeliveryJobs(platform: Platform): void {
  const db = platform.database.db;
  platform.queue.define(DELIVER_JOB, async (ctx) => {
    const scope = { tenantId: ctx.tenantId };
    const loaded = await inTenant(db, scope, async (tx) => {
      const [d] = await tx
        .select()
        .from(notificationDeliveries)
        .where(eq(notificationDeliveries.id, ctx.payload.deliveryId));
      if (d?.status !== 'pending') return null;
      let secret: string | null = null;
      // Webhooks are a project's (its alert settings); only e-mails go outside projects.
      if (d.channel === 'webhook' && d.projectId !== null) {
        const [c] = await tx
          .select({ s: alertConfigs.webhookSecretEncrypted })
          .from(alertConfigs)
          .where(eq(alertConfigs.projectId, d.projectId));
        secret = c?.s ? await platform.secrets.decrypt(tx, c.s) : null;
      }
      const attachment =
        d.channel === 'email' && d.reportRunId
          ? await renderRun(tx, { tenantId: ctx.tenantId }, d.reportRunId)
          : null;
      return { d, secret, attachment };
    });
    if (!loaded) return { skipped: true };
    const { d } = loaded;
    let status: number | null = null;
    let error: string | null = null;
    let permanent = false;
    try {
      if (d.channel === 'webhook') status = await sendWebhook(platform, d, loaded.secret);
      else
        await sendEmail(
          platform,
          d,
          loaded.attachment && {
            filename: loaded.attachment.filename,
            content: loaded.attachment.body,
            contentType: loaded.attachment.contentType,
          },
        );
    } catch (err) {
      error = (err as Error).message;
      // A refused address stays refused: no retries.
      permanent = err instanceof OutboundError && err.reason === 'refused_address';
    }
    const done = error === null || ctx.lastAttempt || permanent;
    await inTenant(db, scope, (tx) =>
      tx
        .update(notificationDeliveries)
        .set({
          attempts: sql`${notificationDeliveries.attempts} + 1`,
          responseStatus: status,
          error,
          ...(done ? { status: error === null ? 'delivered' : 'failed' } : {}),
          ...(error === null ? { deliveredAt: new Date() } : {}),
        })
        .where(eq(notificationDeliveries.id, d.id)),
    );
    if (error !== null && !done) throw new Error(error);
    return { delivered: error === null, channel: d.channel };
  });
}
