import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { PageQuery, pageOf } from '../../../platform/db/pagination.ts';
import { listDeliveries, listNotifications, markRead } from '../notifications/notifications.service.ts';
import { enumOf, Params, ProjectParams } from '../rules/rules.schemas.ts';
import { requireMembers, requireProject } from '../rules/rules.service.ts';
import { ALERT_STATES } from '../schema.ts';
import { withTaskId, withTaskIds } from '../task-links.ts';
import {
  Alert,
  AlertChange,
  AlertConfig,
  AlertConfigIn,
  Delivery,
  Notification,
  NotificationsPage,
  NotificationsQuery,
} from './alerts.schemas.ts';
import {
  actOnAlert,
  alertConfigView,
  alertView,
  escalateDue,
  evaluateScores,
  getAlertConfig,
  listAlerts,
  putAlertConfig,
} from './alerts.service.ts';

const tags = ['quality alerts'];

export const alertsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const platform = app.platform;

  app.get(
    '/projects/:projectId/quality/alert-config',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags,
        summary: "The project's alert configuration",
        params: ProjectParams,
        response: { 200: AlertConfig },
      },
    },
    async (req) =>
      alertConfigView(await req.tx((tx) => getAlertConfig(tx, req.me.tenantId, req.params.projectId))),
  );

  app.put(
    '/projects/:projectId/quality/alert-config',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags,
        summary: 'Create or change the alert configuration (fields left out keep their value)',
        description:
          'thresholds: an alert is raised when a new annotation score (or the annotation’s agreement with the others on its task) is below one. Severity follows the value: < 0.3 critical, < 0.5 high, < 0.7 medium. Channels: in_app (notifications of recipients.user_ids), webhook (webhook_url, signed with webhook_secret: HMAC-SHA256 over `<timestamp>.<body>` in x-superinsight-signature), email (recipients.emails, over SMTP when configured). Alerts left open escalate_after_hours go up a level and reach escalation_recipients. Nothing is sent before silence_until.',
        params: ProjectParams,
        body: AlertConfigIn,
        response: { 200: AlertConfig },
      },
    },
    async (req) =>
      alertConfigView(
        await req.tx(async (tx) => {
          const { tenantId } = req.me;
          await requireMembers(tx, tenantId, req.body.recipients?.user_ids ?? [], 'body/recipients/user_ids');
          await requireMembers(
            tx,
            tenantId,
            req.body.escalation_recipients?.user_ids ?? [],
            'body/escalation_recipients/user_ids',
          );
          const c = await putAlertConfig(tx, platform.secrets, tenantId, req.params.projectId, req.body);
          const { webhook_secret: _secret, ...logged } = req.body;
          req.audit({
            action: 'alert_config.updated',
            resourceType: 'project',
            resourceId: String(req.params.projectId),
            details: logged,
          });
          return c;
        }),
      ),
  );

  app.post(
    '/projects/:projectId/quality/alerts/evaluate',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags,
        summary: 'Evaluate new scores and escalate due alerts now, instead of at the next sweep',
        params: ProjectParams,
        response: { 200: Type.Object({ raised: Type.Array(Alert), escalated: Type.Array(Alert) }) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const { tenantId } = req.me;
        await requireProject(tx, tenantId, req.params.projectId);
        const now = new Date();
        const raised = await evaluateScores(tx, platform, tenantId, req.params.projectId, now);
        const escalated = await escalateDue(tx, platform, tenantId, now, req.params.projectId);
        req.audit({
          action: 'quality_alerts.evaluated',
          resourceType: 'project',
          resourceId: String(req.params.projectId),
          details: { raised: raised.length, escalated: escalated.length },
        });
        return {
          raised: await withTaskIds(tx, raised.map(alertView)),
          escalated: await withTaskIds(tx, escalated.map(alertView)),
        };
      }),
  );

  app.get(
    '/projects/:projectId/quality/alerts',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags,
        summary: 'Quality alerts, newest first',
        params: ProjectParams,
        querystring: Type.Object({ ...PageQuery, status: Type.Optional(enumOf(ALERT_STATES)) }),
        response: { 200: pageOf(Alert) },
      },
    },
    async (req) => req.tx((tx) => listAlerts(tx, req.me.tenantId, req.params.projectId, req.query)),
  );

  app.post(
    '/quality/alerts/:id/actions',
    {
      config: { permission: 'quality:review' },
      schema: {
        tags,
        summary: 'Acknowledge (stops escalation), resolve or escalate an alert',
        params: Params,
        body: AlertChange,
        response: { 200: Alert },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const a = await actOnAlert(tx, platform, req.me, req.params.id, req.body.action, new Date());
        req.audit({
          action: `quality_alert.${req.body.action}`,
          resourceType: 'quality_alert',
          resourceId: String(a.id),
          details: { status: a.status, level: a.escalationLevel },
        });
        return withTaskId(tx, alertView(a));
      }),
  );

  app.get(
    '/projects/:projectId/quality/deliveries',
    {
      config: { permission: 'quality:manage' },
      schema: {
        tags,
        summary: 'Webhook and e-mail deliveries of alerts and reports, newest first',
        params: ProjectParams,
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(Delivery) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        await requireProject(tx, req.me.tenantId, req.params.projectId);
        return listDeliveries(tx, req.params.projectId, req.query);
      }),
  );

  app.get(
    '/notifications',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['notifications'],
        summary: "The caller's in-app notifications, newest first; poll with after=<highest id seen>",
        querystring: NotificationsQuery,
        response: {
          200: NotificationsPage,
        },
      },
    },
    async (req) =>
      req.tx((tx) =>
        listNotifications(tx, req.me.userId, {
          unread: req.query.unread,
          after: req.query.after,
          limit: req.query.limit,
          cursor: req.query.cursor,
        }),
      ),
  );

  app.post(
    '/notifications/:id/read',
    {
      // Marking one's own notification read changes nothing worth auditing.
      config: { permission: 'self', audit: false },
      schema: {
        tags: ['notifications'],
        summary: 'Mark a notification read',
        params: Params,
        response: { 200: Notification },
      },
    },
    async (req) => req.tx((tx) => markRead(tx, req.me.userId, req.params.id)),
  );
};
