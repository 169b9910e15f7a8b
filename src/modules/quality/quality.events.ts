import type { Platform } from '../../platform/index.ts';
import { queueCheck } from './checks/checks.service.ts';
import { notifyOfComment } from './notifications/notifications.service.ts';
import { queueRescore } from './scores/scores.routes.ts';

/** What quality does when others announce: every listener only queues a job, in their transaction. */
export function subscribeQuality(platform: Platform): void {
  const { events } = platform;
  const rescore = queueRescore(platform, false);
  const check = queueCheck(platform);

  events.subscribe('ANNOTATION_CREATED', async (tx, event) => {
    // A fresh skip changes no score.
    if (!event.payload.annotation.was_cancelled) await rescore(tx, event);
  });
  events.subscribe('ANNOTATION_UPDATED', rescore);
  // The deleted annotation's author is gone with it, so every annotator is refreshed.
  events.subscribe('ANNOTATIONS_DELETED', queueRescore(platform, true));

  events.subscribe('ANNOTATION_CREATED', check);
  events.subscribe('ANNOTATION_UPDATED', check);

  events.subscribe('COMMENT_CREATED', notifyOfComment);
}
