import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/client.ts';
import { rowsOf } from '../../../platform/db/sql.ts';
import { inSystem, inTenant, readInTenant } from '../../../platform/db/tenancy.ts';
import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import { annotationsInContext, projectFacts } from '../../annotation/index.ts';
import { annotationPlugins } from '../schema.ts';
import {
  type BackendRow,
  type CallRecord,
  endpointOf,
  type ProbeResult,
  recordCall,
  recordState,
  setupInputOf,
} from './backends.service.ts';
import { BackendError, health, setup, webhook } from './protocol.ts';

/** /health then /setup of the given backends (null: every backend of the tenant). */
export const PROBE_JOB = jobKind<{ plugin_ids: number[] | null }>('ml.probe', { retryLimit: 0 });

/** The actions Label Studio posts to a backend's /webhook. */
export const BACKEND_ACTIONS = [
  'ANNOTATION_CREATED',
  'ANNOTATION_UPDATED',
  'ANNOTATIONS_DELETED',
  'START_TRAINING',
] as const;
export type BackendAction = (typeof BACKEND_ACTIONS)[number];

/**
 * One event forwarded to one backend's /webhook. The payload names what changed; the job
 * adds the project (with its config) and the task's data when it sends, as Label Studio does.
 */
export interface WebhookPayload {
  plugin_id: number;
  action: BackendAction;
  annotation?: Record<string, unknown> & { id: number; task: number };
  annotations?: { id: number }[];
}
export const WEBHOOK_JOB = jobKind<WebhookPayload>('ml.webhook', { retryLimit: 5, concurrency: 2 });

const reading = <T>(platform: Platform, tenantId: string, work: (db: Executor) => Promise<T>) =>
  readInTenant(platform.database, { tenantId }, work);
const writing = <T>(platform: Platform, tenantId: string, work: (db: Executor) => Promise<T>) =>
  inTenant(platform.database.db, { tenantId }, work);

/** Runs one call, timing it, and logs it in plugin_call_logs whatever the outcome. */
async function logged<T>(
  platform: Platform,
  row: BackendRow,
  call: Omit<CallRecord, 'latencyMs' | 'ok'>,
  work: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const finish = (ok: boolean, err?: unknown) =>
    writing(platform, row.tenantId, (db) =>
      recordCall(db, row, {
        ...call,
        latencyMs: Math.round(performance.now() - started),
        ok,
        httpStatus: err instanceof BackendError ? err.httpStatus : null,
        error: err ? (err as Error).message : null,
      }),
    );
  try {
    const result = await work();
    await finish(true);
    return result;
  } catch (err) {
    await finish(false, err);
    throw err;
  }
}

/** /health, then /setup with the project's config: what a backend's state says. */
export async function probeBackend(platform: Platform, row: BackendRow): Promise<ProbeResult> {
  const started = performance.now();
  try {
    const { ep, input } = await reading(platform, row.tenantId, async (db) => ({
      ep: await endpointOf(db, platform, row),
      input: await setupInputOf(db, platform, row),
    }));
    const { modelClass } = await logged(platform, row, { operation: 'health' }, () => health(platform, ep));
    const modelVersion = await logged(platform, row, { operation: 'setup' }, () =>
      setup(platform, ep, input),
    );
    return {
      ok: true,
      latencyMs: Math.round(performance.now() - started),
      modelClass,
      modelVersion,
      error: null,
    };
  } catch (err) {
    if (!(err instanceof BackendError)) throw err;
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      modelClass: null,
      modelVersion: null,
      error: err.message,
    };
  }
}

export function queueProbe(
  tx: Executor,
  platform: Platform,
  tenantId: string,
  createdBy: string | null,
  ids: number[] | null,
): Promise<string> {
  return platform.queue.enqueue(tx, { tenantId, kind: PROBE_JOB, payload: { plugin_ids: ids }, createdBy });
}

/** What a /webhook body carries beside the action, read when it is sent. */
async function webhookBody(
  db: Executor,
  row: BackendRow,
  payload: WebhookPayload,
): Promise<Record<string, unknown>> {
  const project = await projectFacts(db, row.projectId);
  const body: Record<string, unknown> = {
    project: project
      ? { id: project.id, title: project.title, label_config: project.labelConfig }
      : { id: row.projectId },
  };
  if (payload.annotation) {
    const [context] = await annotationsInContext(db, row.tenantId, [payload.annotation.id]);
    body.annotation = payload.annotation;
    body.task = { id: payload.annotation.task, data: context?.data ?? null };
  }
  if (payload.annotations) body.annotations = payload.annotations;
  return body;
}

export function defineBackendJobs(platform: Platform): void {
  platform.queue.define(PROBE_JOB, async (ctx) => {
    const rows = await reading(platform, ctx.tenantId, (db) =>
      db
        .select()
        .from(annotationPlugins)
        .where(ctx.payload.plugin_ids ? inArray(annotationPlugins.id, ctx.payload.plugin_ids) : undefined),
    );
    let up = 0;
    for (const [i, row] of rows.entries()) {
      const probe = await probeBackend(platform, row);
      await writing(platform, ctx.tenantId, (db) => recordState(db, row.id, probe));
      if (probe.ok) up++;
      await ctx.progress((i + 1) / rows.length, { checked: i + 1, up });
    }
    return { checked: rows.length, up };
  });

  platform.queue.define(WEBHOOK_JOB, async (ctx) => {
    const { payload } = ctx;
    const found = await reading(platform, ctx.tenantId, async (db) => {
      const [row] = await db
        .select()
        .from(annotationPlugins)
        .where(eq(annotationPlugins.id, payload.plugin_id));
      if (!row) return null;
      return { row, ep: await endpointOf(db, platform, row), body: await webhookBody(db, row, payload) };
    });
    // The backend was removed after the event: nothing to tell.
    if (!found) return { skipped: true };
    const taskIds = payload.annotation ? [payload.annotation.task] : [];
    await logged(platform, found.row, { operation: 'webhook', action: payload.action, taskIds }, () =>
      webhook(platform, found.ep, payload.action, found.body),
    );
    return { delivered: true };
  });
}

/** Queues a webhook job per backend of the project, in the caller's transaction. */
export async function forwardToBackends(
  tx: Executor,
  platform: Platform,
  event: { tenantId: string; projectId: number; createdBy: string | null },
  payload: Omit<WebhookPayload, 'plugin_id'>,
): Promise<number> {
  const rows = await tx
    .select({ id: annotationPlugins.id })
    .from(annotationPlugins)
    .where(
      and(eq(annotationPlugins.tenantId, event.tenantId), eq(annotationPlugins.projectId, event.projectId)),
    );
  for (const { id } of rows) {
    await platform.queue.enqueue(tx, {
      tenantId: event.tenantId,
      kind: WEBHOOK_JOB,
      payload: { ...payload, plugin_id: id },
      createdBy: event.createdBy,
    });
  }
  return rows.length;
}

/**
 * In a serving process: every ML_BACKEND_PROBE_SECONDS, one probe per tenant with backends,
 * unless one is already waiting, so a backend that went down (or came back) shows it.
 */
export function startBackendProbes(platform: Platform): void {
  const tick = async () => {
    const tenants = await inSystem(platform.database.db, async (tx) =>
      rowsOf<{ tenant_id: string }>(
        await tx.execute(sql`select distinct b.tenant_id from annotation_plugins b
          where not exists (select 1 from job_runs j where j.tenant_id = b.tenant_id
            and j.kind = ${PROBE_JOB.name} and j.state in ('queued', 'running'))`),
      ),
    );
    for (const t of tenants) {
      await writing(platform, t.tenant_id, (tx) => queueProbe(tx, platform, t.tenant_id, null, null));
    }
  };
  const timer = setInterval(() => {
    tick().catch((err) => platform.log.error({ err }, 'queueing ML backend probes failed'));
  }, platform.config.ml.probeIntervalSeconds * 1000);
  timer.unref();
  platform.onClose(() => clearInterval(timer));
}
