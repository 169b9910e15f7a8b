import type { FastifyRequest } from 'fastify';
import type { Executor } from '../../../platform/db/client.ts';
import type { EventMap } from '../../../platform/events/index.ts';
import type { Platform } from '../../../platform/index.ts';

type Announced =
  | 'ANNOTATION_CREATED'
  | 'ANNOTATION_UPDATED'
  | 'ANNOTATIONS_DELETED'
  | 'REVIEW_CREATED'
  | 'COMMENT_CREATED';

/** Who made a change: the tenant it happened in and the user who made it. */
export interface Author {
  tenantId: string;
  userId: string;
}

/**
 * Announces a labeling change once, on the platform's bus, in the caller's transaction:
 * billing, quality and the project's webhooks all listen there.
 */
export async function announce<N extends Announced>(
  tx: Executor,
  platform: Pick<Platform, 'events'>,
  author: Author,
  projectId: number,
  action: N,
  payload: NoInfer<EventMap[N]>,
): Promise<void> {
  await platform.events.publish(tx, {
    tenantId: author.tenantId,
    projectId,
    action,
    payload,
    userId: author.userId,
  });
}

/** Announces a change a request made, as its caller. */
export async function emit<N extends Announced>(
  tx: Executor,
  req: FastifyRequest,
  projectId: number,
  action: N,
  payload: NoInfer<EventMap[N]>,
): Promise<void> {
  await announce(tx, req.server.platform, req.me, projectId, action, payload);
}
