import type { Executor } from '../db/client.ts';

/**
 * Every domain event by name, with the payload it carries. Empty here: each module declares
 * the events it announces into this interface by module augmentation, in its
 * `<module>.events.ts`:
 *
 *     declare module '../../platform/events/index.ts' {
 *       interface EventMap { ANNOTATION_CREATED: { annotation: AnnotationView; … } }
 *     }
 *
 * Augmentation rather than payload types written here, because the platform never imports
 * modules: a payload is built from the announcer's own shapes (annotationView, reviewView),
 * and declaring it beside them keeps one definition that changes with them, owned by the
 * module that announces it. Listeners get the types from the map without importing the
 * announcer. Names follow Label Studio's webhook events where one exists.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by module augmentation
export interface EventMap {}

export type EventName = keyof EventMap;

/** One announcement: what happened (action and payload), in which tenant and project, by whom. */
export interface DomainEvent<N extends EventName = EventName> {
  tenantId: string;
  projectId: number | null;
  action: N;
  payload: EventMap[N];
  userId?: string;
}

/** Runs inside the announcer's transaction: keep it to a few writes or a job enqueue. */
export type DomainListener<N extends EventName = EventName> = (
  tx: Executor,
  event: DomainEvent<N>,
) => Promise<void>;

export class DomainEvents {
  private readonly listeners = new Map<EventName, DomainListener[]>();

  /** The listener hears only `action`, so its event is typed by that name's payload. */
  subscribe<N extends EventName>(action: N, listener: DomainListener<NoInfer<N>>): void {
    const list = this.listeners.get(action) ?? [];
    // Stored by name; publish hands each listener only events of the name it subscribed to.
    list.push(listener as DomainListener);
    this.listeners.set(action, list);
  }

  /**
   * Listeners run one after another in the caller's transaction: what they write or enqueue
   * commits with the change, and a rolled-back change (or a failing listener) leaves no trace.
   */
  async publish<N extends EventName>(tx: Executor, event: DomainEvent<N>): Promise<void> {
    for (const listener of this.listeners.get(event.action) ?? []) await listener(tx, event);
  }
}
