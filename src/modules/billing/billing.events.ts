import type { Platform } from '../../platform/index.ts';
import { recordAnnotation, recordReview } from './work.service.ts';

/** Billable work is recorded in the transaction of each annotation change and review. */
export function subscribeBilling(platform: Platform): void {
  const { events } = platform;
  events.subscribe('ANNOTATION_CREATED', (tx, event) => recordAnnotation(tx, event, true));
  events.subscribe('ANNOTATION_UPDATED', (tx, event) => recordAnnotation(tx, event, false));
  events.subscribe('REVIEW_CREATED', recordReview);
}
