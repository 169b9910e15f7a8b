import type { Executor } from '../db/client.ts';

/**
 * A change one module announces and others act on (billing records work, quality queues
 * checks) without importing the announcer's internals. Actions use Label Studio's webhook
 * names (ANNOTATION_CREATED, ANNOTATION_UPDATED, ANNOTATIONS_DELETED, REVIEW_CREATED).
 */
export interface DomainEvent {
  tenantId: string;
  projectId: number | null;
  action: string;
  payload: Record<string, unknown>;
  userId?: string;
}

/** Runs inside the announcer's transaction: keep it to a few writes or a job enqueue. */
export type DomainListener = (tx: Executor, event: DomainEvent) => Promise<void>;

export class DomainEvents {
  private readonly listeners = new Map<string, DomainListener[]>();

  on(action: string, listener: DomainListener): void {
    const list = this.listeners.get(action) ?? [];
    list.push(listener);
    this.listeners.set(action, list);
  }

  /** Listeners write in the caller's transaction, so a rolled-back change leaves no trace. */
  async publish(tx: Executor, event: DomainEvent): Promise<void> {
    for (const listener of this.listeners.get(event.action) ?? []) await listener(tx, event);
  }
}
