import { inTenant } from '../../../platform/db/tenancy.ts';
import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';

/**
 * One account e-mail (an invitation, a password reset). Its body holds a one-time link, so
 * the job's payload carries it sealed with the platform's secret box, never in clear.
 */
export const ACCOUNT_MAIL_JOB = jobKind<{ to: string; subject: string; sealedText: string }>(
  'identity.mail',
  { retryLimit: 3 },
);

export function defineAccountMailJobs(platform: Platform): void {
  platform.queue.define(ACCOUNT_MAIL_JOB, async (ctx) => {
    const smtp = platform.config.smtp;
    if (!smtp) return { skipped: 'e-mail is not configured' };
    const text = await inTenant(platform.database.db, { tenantId: ctx.tenantId }, (tx) =>
      platform.secrets.decrypt(tx, ctx.payload.sealedText),
    );
    // Loaded on first use: ~15 MB that an idle platform need not hold.
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport(smtp.url);
    try {
      await transport.sendMail({ from: smtp.from, to: ctx.payload.to, subject: ctx.payload.subject, text });
    } finally {
      transport.close();
    }
    return { sent: true };
  });
}
