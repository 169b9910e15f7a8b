import type { Executor } from '../../platform/db/client.ts';
import type { DomainEvent, EventName } from '../../platform/events/index.ts';
import type { Platform } from '../../platform/index.ts';
import type { CommentView } from './comments/comments.service.ts';
import { DELETE_FILES_JOB } from './import/import.jobs.ts';
import type { reviewView } from './review/review.service.ts';
import type { annotationView } from './shapes.ts';
import { emitEvent, type WebhookEvent } from './webhooks/webhooks.service.ts';

type AnnotationView = ReturnType<typeof annotationView>;
type ReviewView = ReturnType<typeof reviewView>;
type Ref = { id: number };

/**
 * The events this module announces, with Label Studio's webhook names and payloads (a
 * webhook body is `{action, ...payload}`). Every payload names its project.
 */
declare module '../../platform/events/index.ts' {
  interface EventMap {
    /** projects.routes.ts */
    PROJECT_CREATED: { project: { id: number; title: string } };
    /** projects.routes.ts; `changed` lists the settings the request changed. */
    PROJECT_UPDATED: { project: { id: number; title: string }; changed: string[] };
    /** projects.routes.ts */
    PROJECT_DELETED: { project: { id: number; title: string } };
    /** The import job: an import may hold millions of tasks, so it names the import, not them. */
    TASKS_CREATED: { project: Ref; import: Ref; count: number };
    /** A bulk delete (tasks.routes.ts inline, project.jobs.ts in a job); `tasks` when chosen by id. */
    TASKS_DELETED: { project: Ref; count: number; tasks?: Ref[] };
    /** A submit or skip (labeling/annotations.routes.ts). */
    ANNOTATION_CREATED: { project: Ref; task: Ref; annotation: AnnotationView };
    /** labeling/annotations.routes.ts; labeling/replace-result.ts for quality's improvement (with its `source`). */
    ANNOTATION_UPDATED: {
      project: Ref;
      task: Ref;
      annotation: AnnotationView;
      source?: { improvement_task: number };
    };
    /** labeling/annotations.routes.ts */
    ANNOTATIONS_DELETED: { project: Ref; task: Ref; annotations: Ref[] };
    /** A review decision (review/review.routes.ts). */
    REVIEW_CREATED: { project: Ref; annotation: Ref; review: ReviewView };
    /**
     * A comment or reply (comments/comments.routes.ts, and a review's comment); `recipients`
     * are the other party: the annotation's author and the thread's other writers.
     */
    COMMENT_CREATED: { project: Ref; task: Ref; comment: CommentView; recipients: string[] };
  }
}

/** The events a webhook can hear that something announces (Label Studio has a few more names). */
type Announced = WebhookEvent & EventName;

/**
 * Webhooks hear the bus like any other module: a matching hook's delivery is recorded and
 * queued in the announcer's transaction, so a rolled-back change sends nothing.
 */
export function subscribeAnnotation(platform: Platform): void {
  const { events, queue } = platform;
  const toWebhooks = async (tx: Executor, event: DomainEvent<Announced>) => {
    await emitEvent(tx, queue, event);
  };
  events.subscribe('PROJECT_CREATED', toWebhooks);
  events.subscribe('PROJECT_UPDATED', toWebhooks);
  events.subscribe('PROJECT_DELETED', toWebhooks);
  // The project's stored files go with it, once its deletion commits.
  events.subscribe('PROJECT_DELETED', async (tx, event) => {
    await queue.enqueue(tx, {
      tenantId: event.tenantId,
      kind: DELETE_FILES_JOB,
      payload: { projectId: event.payload.project.id },
      createdBy: event.userId ?? null,
    });
  });
  events.subscribe('TASKS_CREATED', toWebhooks);
  events.subscribe('TASKS_DELETED', toWebhooks);
  events.subscribe('ANNOTATION_CREATED', toWebhooks);
  events.subscribe('ANNOTATION_UPDATED', toWebhooks);
  events.subscribe('ANNOTATIONS_DELETED', toWebhooks);
  events.subscribe('REVIEW_CREATED', toWebhooks);
}
