import type { FastifyRequest } from 'fastify';
import type { Executor } from '../../../platform/db/client.ts';
import { emitEvent, type WebhookEvent } from '../webhooks/webhooks.service.ts';

/**
 * Announces a labeling change in the request's transaction: to other modules (billing,
 * quality) through the platform's domain events, and to the project's webhooks.
 */
export async function emit(
  tx: Executor,
  req: FastifyRequest,
  projectId: number,
  action: WebhookEvent,
  payload: Record<string, unknown>,
): Promise<void> {
  const p = req.principal!;
  const event = {
    tenantId: p.tenantId,
    projectId,
    action,
    payload: { ...payload, project: { id: projectId } },
    userId: p.userId,
  };
  await req.server.platform.events.publish(tx, event);
  await emitEvent(tx, req.server.platform.queue, event);
}
