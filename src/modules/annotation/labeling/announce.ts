import type { FastifyRequest } from 'fastify';
import type { Executor } from '../../../platform/db/client.ts';
import type { Platform } from '../../../platform/index.ts';
import { emitEvent, type WebhookEvent } from '../webhooks/webhooks.service.ts';

/** Who made a change: the tenant it happened in and the user who made it. */
export interface Author {
  tenantId: string;
  userId: string;
}

/**
 * Announces a labeling change in the caller's transaction: to other modules (billing,
 * quality) through the platform's domain events, and to the project's webhooks.
 */
export async function announce(
  tx: Executor,
  platform: Pick<Platform, 'events' | 'queue'>,
  author: Author,
  projectId: number,
  action: WebhookEvent,
  payload: Record<string, unknown>,
): Promise<void> {
  const event = {
    tenantId: author.tenantId,
    projectId,
    action,
    payload: { ...payload, project: { id: projectId } },
    userId: author.userId,
  };
  await platform.events.publish(tx, event);
  await emitEvent(tx, platform.queue, event);
}

/** Announces a change a request made, as its caller. */
export async function emit(
  tx: Executor,
  req: FastifyRequest,
  projectId: number,
  action: WebhookEvent,
  payload: Record<string, unknown>,
): Promise<void> {
  await announce(tx, req.server.platform, req.me, projectId, action, payload);
}
