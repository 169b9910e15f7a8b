import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/client.ts';
import { rowsOf } from '../../../platform/db/sql.ts';
import { inSystem, inTenant, readInTenant } from '../../../platform/db/tenancy.ts';
import { notFound } from '../../../platform/errors/problem.ts';
import type { Platform } from '../../../platform/index.ts';
import { jobKind } from '../../../platform/jobs/queue.ts';
import { llmConfigurations } from '../schema.ts';
import { listModels, ProviderError } from './adapters.ts';
import { endpointOf, recordHealth } from './configurations.service.ts';

/**
 * Health of a tenant's configurations: a cheap listing call (/v1/models, /openai/models,
 * /api/tags), run by a background job or by the "test" button. Never on a call's path, and
 * never in /system/services (which describes the platform's own dependencies): the result
 * is the tenant's, shown in its configurations.
 */

export const HEALTH_JOB = jobKind<{ configuration_ids: number[] | null }>('llm.health_check', {
  retryLimit: 0,
});

/** A health probe gets at most this long, whatever the configuration's call timeout. */
const PROBE_TIMEOUT_MS = 10_000;

export interface Probe {
  ok: boolean;
  status: 'up' | 'down';
  latencyMs: number;
  models: string[];
  error: string | null;
}

export async function probeConfiguration(platform: Platform, tenantId: string, id: number): Promise<Probe> {
  const endpoint = await readInTenant(platform.database, { tenantId }, async (db) => {
    const [row] = await db.select().from(llmConfigurations).where(eq(llmConfigurations.id, id));
    if (!row) throw notFound('llm_configuration.not_found', 'The LLM configuration');
    return endpointOf(db, platform, row);
  });
  const started = performance.now();
  try {
    const models = await listModels(platform.outbound, {
      ...endpoint,
      timeoutMs: Math.min(endpoint.timeoutMs, PROBE_TIMEOUT_MS),
    });
    return {
      ok: true,
      status: 'up',
      latencyMs: Math.round(performance.now() - started),
      models,
      error: null,
    };
  } catch (err) {
    const error = err instanceof ProviderError ? `${err.code}: ${err.message}` : 'network: the check failed';
    return {
      ok: false,
      status: 'down',
      latencyMs: Math.round(performance.now() - started),
      models: [],
      error,
    };
  }
}

export function queueHealthCheck(
  tx: Executor,
  platform: Platform,
  tenantId: string,
  createdBy: string | null,
  ids: number[] | null,
): Promise<string> {
  return platform.queue.enqueue(tx, {
    tenantId,
    kind: HEALTH_JOB,
    payload: { configuration_ids: ids },
    createdBy,
  });
}

export function defineHealthJobs(platform: Platform): void {
  platform.queue.define(HEALTH_JOB, async (ctx) => {
    const ids = await readInTenant(platform.database, { tenantId: ctx.tenantId }, async (db) =>
      (
        await db
          .select({ id: llmConfigurations.id })
          .from(llmConfigurations)
          .where(
            and(
              eq(llmConfigurations.enabled, true),
              ctx.payload.configuration_ids
                ? inArray(llmConfigurations.id, ctx.payload.configuration_ids)
                : undefined,
            ),
          )
      ).map((r) => r.id),
    );
    let up = 0;
    for (const [i, id] of ids.entries()) {
      const probe = await probeConfiguration(platform, ctx.tenantId, id);
      await inTenant(platform.database.db, { tenantId: ctx.tenantId }, (tx) => recordHealth(tx, id, probe));
      if (probe.ok) up++;
      await ctx.progress((i + 1) / ids.length, { checked: i + 1, up });
    }
    return { checked: ids.length, up };
  });
}

/**
 * In a serving process: every LLM_HEALTH_INTERVAL_SECONDS, queues one health check per
 * tenant with enabled configurations, unless one is already waiting.
 */
export function startHealthChecks(platform: Platform): void {
  const tick = async () => {
    const tenants = await inSystem(platform.database.db, async (tx) =>
      rowsOf<{ tenant_id: string }>(
        await tx.execute(sql`select distinct c.tenant_id from llm_configurations c where c.enabled
          and not exists (select 1 from job_runs j where j.tenant_id = c.tenant_id
            and j.kind = ${HEALTH_JOB.name} and j.state in ('queued', 'running'))`),
      ),
    );
    for (const t of tenants) {
      await inTenant(platform.database.db, { tenantId: t.tenant_id }, (tx) =>
        queueHealthCheck(tx, platform, t.tenant_id, null, null),
      );
    }
  };
  const timer = setInterval(() => {
    tick().catch((err) => platform.log.error({ err }, 'queueing LLM health checks failed'));
  }, platform.config.llm.healthIntervalSeconds * 1000);
  timer.unref();
  platform.onClose(() => clearInterval(timer));
}
