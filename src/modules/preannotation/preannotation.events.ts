import type { Platform } from '../../platform/index.ts';
import { forwardToBackends } from './backends/backends.jobs.ts';

/**
 * Annotation events reach a project's ML backends at /webhook, as Label Studio sends them,
 * so a backend can train on them: queued in the announcer's transaction (a rolled-back
 * change sends nothing), delivered by a job with retries.
 */
export function subscribePreannotation(platform: Platform): void {
  const { events } = platform;
  const scope = (e: { tenantId: string; projectId: number | null; userId?: string }, projectId: number) => ({
    tenantId: e.tenantId,
    projectId,
    createdBy: e.userId ?? null,
  });
  events.subscribe('ANNOTATION_CREATED', async (tx, e) => {
    await forwardToBackends(tx, platform, scope(e, e.payload.project.id), {
      action: 'ANNOTATION_CREATED',
      annotation: e.payload.annotation,
    });
  });
  events.subscribe('ANNOTATION_UPDATED', async (tx, e) => {
    await forwardToBackends(tx, platform, scope(e, e.payload.project.id), {
      action: 'ANNOTATION_UPDATED',
      annotation: e.payload.annotation,
    });
  });
  events.subscribe('ANNOTATIONS_DELETED', async (tx, e) => {
    await forwardToBackends(tx, platform, scope(e, e.payload.project.id), {
      action: 'ANNOTATIONS_DELETED',
      annotations: e.payload.annotations,
    });
  });
}
