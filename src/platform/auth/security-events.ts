import type { Executor } from '../db/client.ts';
import { type SECURITY_EVENT_TYPES, type SEVERITIES, securityEvents } from './schema.ts';

export interface SecurityEventInput {
  tenantId: string;
  type: (typeof SECURITY_EVENT_TYPES)[number];
  severity: (typeof SEVERITIES)[number];
  userId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

export async function raiseSecurityEvent(tx: Executor, event: SecurityEventInput): Promise<void> {
  await tx.insert(securityEvents).values({
    tenantId: event.tenantId,
    type: event.type,
    severity: event.severity,
    userId: event.userId ?? null,
    ip: event.ip ?? null,
    details: event.details ?? {},
  });
}
