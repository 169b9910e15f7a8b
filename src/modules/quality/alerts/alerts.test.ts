import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, seedTasks } from '../../../../test/annotation-fixtures.ts';
import { newTenant } from '../../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../../test/helpers.ts';
import { receiver } from '../../../../test/http-receiver.ts';
import { joinProject, systemSql } from '../../../../test/labeling-fixtures.ts';
import { sentMails } from '../../../../test/mail-sink.ts';
import { choice, insertScore, until } from '../../../../test/quality-ops-fixtures.ts';
import { loadConfig } from '../../../config.ts';
import { sign } from '../../../platform/crypto/signing.ts';
import { severityOf } from './alerts.service.ts';
import { sweepTenant } from './alerts.sweep.ts';

describe('SMTP settings', () => {
  it('come from SMTP_URL or SMTP_HOST and friends; absent, e-mail is off', () => {
    expect(loadConfig({}).smtp).toBeUndefined();
    expect(loadConfig({ SMTP_URL: 'smtps://u:p@mail.test:465', SMTP_FROM: 'QA <qa@x.test>' }).smtp).toEqual({
      url: 'smtps://u:p@mail.test:465',
      from: 'QA <qa@x.test>',
    });
    const built = loadConfig({ SMTP_HOST: 'mail.test', SMTP_USER: 'me', SMTP_PASS: 'p@ss' }).smtp!;
    expect(built.url).toBe('smtp://me:p%40ss@mail.test:587');
    expect(() => loadConfig({ SMTP_URL: 'http://mail.test' })).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ SMTP_HOST: 'mail.test', SMTP_PORT: 'x' })).toThrow(/SMTP_PORT/);
    expect(() => loadConfig({ SMTP_HOST: 'mail.test', SMTP_FROM: 'nobody' })).toThrow(/SMTP_FROM/);
  });
});

describe('alert severity', () => {
  it('follows the total score', () => {
    expect([0, 0.29, 0.3, 0.49, 0.5, 0.69, 0.7, 1].map(severityOf)).toEqual([
      'critical',
      'critical',
      'high',
      'high',
      'medium',
      'medium',
      'low',
      'low',
    ]);
  });
});

describe('quality alerts', () => {
  let ctx: TestContext;
  let hook: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    ctx = await testApp();
    hook = await receiver();
  });
  afterAll(async () => {
    await hook.close();
  });

  it('e-mails a recipient who reads the console in Chinese in Chinese, others in English', async () => {
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const zh = await t.member(['reviewer'], 'Zh reader');
    const en = await t.member(['reviewer'], 'En reader');
    const chose = await t.as(zh, {
      method: 'PUT',
      url: '/api/v1/auth/language',
      payload: { language: 'zh-CN' },
    });
    expect(chose.statusCode, chose.body).toBe(204);
    const refused = await t.as(zh, {
      method: 'PUT',
      url: '/api/v1/auth/language',
      payload: { language: 'fr' },
    });
    expect(refused.json()).toMatchObject({ status: 400, code: 'request.schema' });
    const [taskId] = await seedTasks(ctx, t, project.id, [
      { data: { text: 'x' }, annotations: [{ completed_by: zh.userId, result: choice('Positive') }] },
    ]);
    const [annotation] = await systemSql<{ id: number }>(
      ctx,
      sql`select id from annotations where task_id = ${taskId}`,
    );
    const put = await t.as(t.owner, {
      method: 'PUT',
      url: `/api/v1/projects/${project.id}/quality/alert-config`,
      payload: {
        thresholds: { total: 0.7 },
        channels: ['email'],
        recipients: { emails: [zh.email, en.email] },
      },
    });
    expect(put.statusCode, put.body).toBe(200);
    await insertScore(ctx, t, project.id, Number(annotation!.id), 0.25);
    expect((await sweepTenant(ctx.platform, t.tenantId, new Date('2030-01-01T00:00:00Z'))).alerts).toBe(1);
    const mailTo = (address: string) =>
      until(
        async () => sentMails().filter((m) => m.to.includes(address)),
        (m) => m.length >= 1,
      ).then((m) => decodeMail(m[0]!.raw));
    const chinese = await mailTo(zh.email);
    expect(chinese).toContain('Subject: [严重] 总分 0.250 低于 0.7');
    expect(chinese).toContain(`项目 ${project.id}`);
    expect(chinese).not.toContain('is below');
    expect(await mailTo(en.email)).toMatch(/Subject: \[critical\] total 0\.250 is below 0\.7/);
  });

  it('raises alerts on low scores, notifies in-app, by signed webhook and by e-mail, and escalates unacknowledged ones', async () => {
    const t = await newTenant(ctx);
    // Addresses and webhooks of this attempt only: a retried attempt shares the receivers.
    const qa = `qa.${t.tenantId}@example.test`;
    const leadEmail = `lead.${t.tenantId}@example.test`;
    const project = await newProject(t);
    const reviewer = await t.member(['reviewer'], 'Rev');
    const lead = await t.member(['manager'], 'Lead');
    await joinProject(t, project.id, reviewer, 'reviewer');
    const taskIds = await seedTasks(
      ctx,
      t,
      project.id,
      [0, 1, 2, 3].map((i) => ({
        data: { text: `t${i}` },
        annotations: [{ completed_by: reviewer.userId, result: choice('Positive') }],
      })),
    );
    const annotationIds = (
      await systemSql<{ id: number }>(
        ctx,
        sql`select id from annotations where task_id = any(${`{${taskIds.join(',')}}`}::bigint[]) order by task_id`,
      )
    ).map((r) => Number(r.id));

    const secret = 'a-webhook-secret-of-length';
    const put = await t.as(t.owner, {
      method: 'PUT',
      url: `/api/v1/projects/${project.id}/quality/alert-config`,
      payload: {
        thresholds: { total: 0.7, timeliness: 0.5 },
        channels: ['in_app', 'webhook', 'email'],
        recipients: { user_ids: [reviewer.userId], emails: [qa] },
        webhook_url: hook.url,
        webhook_secret: secret,
        escalate_after_hours: 2,
        escalation_recipients: { user_ids: [lead.userId], emails: [leadEmail] },
      },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ webhook_secret_set: true, escalate_after_hours: 2 });
    expect(put.body).not.toContain(secret);

    const t0 = new Date('2030-01-01T00:00:00Z');
    await insertScore(ctx, t, project.id, annotationIds[0]!, 0.25);
    await insertScore(ctx, t, project.id, annotationIds[1]!, 0.45);
    await insertScore(ctx, t, project.id, annotationIds[2]!, 0.65);
    await insertScore(ctx, t, project.id, annotationIds[3]!, 0.9, new Date(), { timeliness: 0.4 });
    expect(await sweepTenant(ctx.platform, t.tenantId, t0)).toEqual({ alerts: 4, escalated: 0, reports: 0 });
    // A second pass finds nothing new.
    expect((await sweepTenant(ctx.platform, t.tenantId, t0)).alerts).toBe(0);

    const alerts = (
      await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}/quality/alerts` })
    ).json().items;
    expect(
      alerts.map((a: { metric: string; severity: string }) => `${a.metric}:${a.severity}`).sort(),
    ).toEqual(['timeliness:high', 'total:critical', 'total:high', 'total:medium']);
    // Each names its annotation's task, for the console's link.
    const taskOf = new Map(annotationIds.map((id, i) => [id, taskIds[i]]));
    for (const a of alerts as { annotation_id: number; task_id: number }[])
      expect(a.task_id).toBe(taskOf.get(a.annotation_id));

    // In-app: the recipient's notifications, polled.
    const inbox = (await t.as(reviewer, { method: 'GET', url: '/api/v1/notifications' })).json();
    expect(inbox.unread).toBe(4);
    expect(inbox.items[0].kind).toBe('QUALITY_ALERT');
    const newest = inbox.items[0].id;
    expect(
      (await t.as(reviewer, { method: 'GET', url: `/api/v1/notifications?after=${newest}` })).json().items,
    ).toEqual([]);
    const read = await t.as(reviewer, { method: 'POST', url: `/api/v1/notifications/${newest}/read` });
    expect(read.json().read_at).not.toBeNull();
    expect(
      (await t.as(lead, { method: 'POST', url: `/api/v1/notifications/${newest}/read` })).statusCode,
    ).toBe(404);

    // Webhook: signed, through the queue.
    const ours = () => hook.received.filter((r) => JSON.parse(r.body).project_id === project.id);
    await until(
      async () => ours().length,
      (n) => n >= 4,
    );
    expect(ours()).toHaveLength(4);
    for (const r of ours()) {
      const ts = String(r.headers['x-superinsight-timestamp']);
      expect(r.headers['x-superinsight-signature']).toBe(sign(secret, ts, r.body));
      expect(JSON.parse(r.body)).toMatchObject({ event: 'QUALITY_ALERT', project_id: project.id });
    }

    // E-mail: what the SMTP server received.
    const qaMails = await until(
      async () => sentMails().filter((m) => m.to.includes(qa)),
      (m) => m.length >= 4,
    );
    expect(qaMails).toHaveLength(4);
    expect(qaMails[0]!.from).toBe('quality@superinsight.test');
    expect(qaMails.map((m) => m.raw).join('\n')).toMatch(/Subject: \[critical\] total 0\.250 is below 0\.7/);

    // Escalation after 2 h unacknowledged: the acknowledged alert stays where it is.
    const critical = alerts.find((a: { severity: string }) => a.severity === 'critical');
    const ack = await t.as(reviewer, {
      method: 'POST',
      url: `/api/v1/quality/alerts/${critical.id}/actions`,
      payload: { action: 'acknowledge' },
    });
    expect(ack.json()).toMatchObject({ status: 'acknowledged', acknowledged_by: reviewer.userId });
    const hours = (h: number) => new Date(t0.getTime() + h * 3_600_000);
    expect((await sweepTenant(ctx.platform, t.tenantId, hours(1.9))).escalated).toBe(0);
    expect((await sweepTenant(ctx.platform, t.tenantId, hours(2))).escalated).toBe(3);
    expect((await sweepTenant(ctx.platform, t.tenantId, hours(3.5))).escalated).toBe(0);
    expect((await sweepTenant(ctx.platform, t.tenantId, hours(4))).escalated).toBe(3);
    const levels = (
      await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}/quality/alerts` })
    ).json().items;
    expect(levels.map((a: { escalation_level: number }) => a.escalation_level).sort()).toEqual([0, 2, 2, 2]);
    const leadInbox = (await t.as(lead, { method: 'GET', url: '/api/v1/notifications' })).json();
    expect(leadInbox.items).toHaveLength(6);
    expect(leadInbox.items[0].kind).toBe('QUALITY_ALERT_ESCALATED');
    const leadMails = await until(
      async () => sentMails().filter((m) => m.to.includes(leadEmail)),
      (m) => m.length >= 6,
    );
    expect(leadMails[0]!.raw).toMatch(/Escalated \(level 1\)/);

    // Resolve; a resolved alert takes no further action.
    const resolve = (id: number) =>
      t.as(reviewer, {
        method: 'POST',
        url: `/api/v1/quality/alerts/${id}/actions`,
        payload: { action: 'resolve' },
      });
    expect((await resolve(critical.id)).json().status).toBe('resolved');
    expect((await resolve(critical.id)).statusCode).toBe(409);

    // Silenced: alerts are recorded, nothing is sent and nothing escalates.
    await t.as(t.owner, {
      method: 'PUT',
      url: `/api/v1/projects/${project.id}/quality/alert-config`,
      payload: { silence_until: hours(100).toISOString() },
    });
    const [extra] = await seedTasks(ctx, t, project.id, [
      { data: { text: 'x' }, annotations: [{ completed_by: reviewer.userId, result: choice('Negative') }] },
    ]);
    const [extraAnnotation] = await systemSql<{ id: number }>(
      ctx,
      sql`select id from annotations where task_id = ${extra}`,
    );
    await insertScore(ctx, t, project.id, Number(extraAnnotation!.id), 0.1);
    const deliveriesBefore = (
      await systemSql<{ n: number }>(
        ctx,
        sql`select count(*)::int as n from notification_deliveries where project_id = ${project.id}`,
      )
    )[0]!.n;
    expect(await sweepTenant(ctx.platform, t.tenantId, hours(10))).toEqual({
      alerts: 1,
      escalated: 0,
      reports: 0,
    });
    const deliveriesAfter = (
      await systemSql<{ n: number }>(
        ctx,
        sql`select count(*)::int as n from notification_deliveries where project_id = ${project.id}`,
      )
    )[0]!.n;
    expect(deliveriesAfter).toBe(deliveriesBefore);

    const deliveries = (
      await t.as(t.owner, {
        method: 'GET',
        url: `/api/v1/projects/${project.id}/quality/deliveries?limit=1000`,
      })
    ).json().items;
    await until(
      async () =>
        (
          await t.as(t.owner, {
            method: 'GET',
            url: `/api/v1/projects/${project.id}/quality/deliveries?limit=1000`,
          })
        ).json().items,
      (items: { status: string }[]) => items.every((d) => d.status === 'delivered'),
    );
    expect(deliveries.length).toBe(4 * 2 + 6 * 2);
  }, 180_000);

  it('records e-mail deliveries as disabled when SMTP is not configured', async () => {
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const [taskId] = await seedTasks(ctx, t, project.id, [
      { data: { text: 'x' }, annotations: [{ result: choice('Negative') }] },
    ]);
    const [row] = await systemSql<{ id: number }>(
      ctx,
      sql`select id from annotations where task_id = ${taskId}`,
    );
    const id = row!.id;
    await t.as(t.owner, {
      method: 'PUT',
      url: `/api/v1/projects/${project.id}/quality/alert-config`,
      payload: { channels: ['email'], recipients: { emails: ['qa@example.test'] } },
    });
    await insertScore(ctx, t, project.id, Number(id), 0.2);
    const smtpConfig = ctx.platform.config.smtp;
    ctx.platform.config.smtp = undefined;
    try {
      const res = await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/projects/${project.id}/quality/alerts/evaluate`,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().raised).toHaveLength(1);
    } finally {
      ctx.platform.config.smtp = smtpConfig;
    }
    const [d] = (
      await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}/quality/deliveries` })
    ).json().items;
    expect(d).toMatchObject({ channel: 'email', status: 'disabled', error: expect.stringContaining('SMTP') });
  });

  it('checks its configuration', async () => {
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const put = (payload: object) =>
      t.as(t.owner, { method: 'PUT', url: `/api/v1/projects/${project.id}/quality/alert-config`, payload });
    expect((await put({ channels: ['webhook'] })).statusCode).toBe(400);
    expect((await put({ thresholds: { total: 1.5 } })).statusCode).toBe(400);
    expect((await put({ thresholds: { speed: 0.5 } })).statusCode).toBe(400);
    expect((await put({ webhook_url: 'ftp://x' })).statusCode).toBe(400);
    const other = await newTenant(ctx);
    expect((await put({ recipients: { user_ids: [other.owner.userId] } })).statusCode).toBe(400);
    expect(
      (await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${project.id}/quality/alert-config` }))
        .statusCode,
    ).toBe(404);
  });
});

/** A MIME message as text: encoded-word headers and a quoted-printable or base64 body decoded. */
function decodeMail(raw: string): string {
  // Adjacent encoded words are folded onto several lines; the space between them is not text.
  const words = raw
    .replace(/\?=\r?\n[ \t]+=\?/g, '?==?')
    .replace(/=\?UTF-8\?([BQ])\?([^?]*)\?=/gi, (_, kind: string, text: string) =>
      kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : qp(text.replace(/_/g, ' ')),
    );
  const [head = '', ...rest] = words.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  if (/Content-Transfer-Encoding: base64/i.test(head))
    return `${head}\n\n${Buffer.from(body, 'base64').toString('utf8')}`;
  return `${head.replace(/\r?\n\s+/g, ' ')}\n\n${qp(body.replace(/=\r?\n/g, ''))}`;
}

function qp(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}
