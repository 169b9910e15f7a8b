import type { FastifyRequest } from 'fastify';
import type { Executor } from '../../../platform/db/client.ts';
import type { EventMap } from '../../../platform/events/index.ts';

type Announced = 'ANNOTATION_CREATED' | 'ANNOTATION_UPDATED' | 'ANNOTATIONS_DELETED' | 'REVIEW_CREATED';

/**
 * Announces a labeling change once, on the platform's bus, in the request's transaction:
 * billing, quality and the project's webhooks all listen there.
 */
export async function emit<N extends Announced>(
  tx: Executor,
  req: FastifyRequest,
  projectId: number,
  action: N,
  payload: NoInfer<EventMap[N]>,
): Promise<void> {
  const p = req.principal!;
  await req.server.platform.events.publish(tx, {
    tenantId: p.tenantId,
    projectId,
    action,
    payload,
    userId: p.userId,
  });
}
