import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Executor } from '../db/client.ts';
import { rowsOf } from '../db/sql.ts';
import { auditCheckpoints, auditLogs, auditStreamPositions } from './schema.ts';

/** log audit (facility 13), informational (severity 6). */
const PRI = 13 * 8 + 6;
const BATCH = 500;

/**
 * One RFC 5424 message, framed by octet counting (RFC 6587 §3.4.1) as TCP syslog receivers
 * (rsyslog imtcp, syslog-ng, Splunk, Graylog) expect. The event is the MSG, as JSON; there is
 * no structured data (an SD-ID of our own would need an IANA enterprise number).
 */
export function syslogFrame(
  msgId: 'audit' | 'checkpoint',
  at: Date,
  body: unknown,
  host = os.hostname(),
): string {
  const field = (v: string, max: number) => v.replace(/[^\x21-\x7e]/g, '').slice(0, max) || '-';
  const message = `<${PRI}>1 ${at.toISOString()} ${field(host, 255)} superinsight ${process.pid} ${msgId} - ${JSON.stringify(body)}`;
  return `${Buffer.byteLength(message)} ${message}`;
}

/** A TCP or TLS connection to the receiver, opened on first use and again after an error. */
export class SyslogSink {
  private socket: net.Socket | undefined;

  constructor(
    private readonly url: URL,
    private readonly ca: string | undefined,
  ) {}

  static fromConfig(url: string, caFile: string | undefined): SyslogSink {
    return new SyslogSink(new URL(url), caFile ? readFileSync(caFile, 'utf8') : undefined);
  }

  private connect(): Promise<net.Socket> {
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(this.url.port || (this.url.protocol === 'tls:' ? 6514 : 514));
    return new Promise((resolve, reject) => {
      const socket =
        this.url.protocol === 'tls:'
          ? tls.connect({ host, port, ca: this.ca, servername: net.isIP(host) ? undefined : host }, () =>
              resolve(socket),
            )
          : net.connect({ host, port }, () => resolve(socket));
      socket.setTimeout(10_000, () => socket.destroy(new Error('the syslog receiver did not answer')));
      socket.once('error', reject);
      socket.on('error', () => this.drop(socket));
      socket.on('close', () => this.drop(socket));
    });
  }

  private drop(socket: net.Socket): void {
    if (this.socket === socket) this.socket = undefined;
  }

  /** Resolves once the frames are handed to the kernel; rejects (and reconnects next time) on error. */
  async send(frames: string[]): Promise<void> {
    if (frames.length === 0) return;
    this.socket ??= await this.connect();
    const socket = this.socket;
    await new Promise<void>((resolve, reject) => {
      socket.write(frames.join(''), (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): void {
    this.socket?.end();
    this.socket = undefined;
  }
}

type Row = typeof auditLogs.$inferSelect;

function event(r: Row) {
  return {
    tenant_id: r.tenantId,
    seq: r.seq,
    created_at: r.createdAt.toISOString(),
    actor_id: r.actorId,
    actor_type: r.actorType,
    actor_email: r.actorEmail,
    action: r.action,
    resource_type: r.resourceType,
    resource_id: r.resourceId,
    ip: r.ip,
    user_agent: r.userAgent,
    request_id: r.requestId,
    details: { ...r.details, ...r.personalDetails },
    hash: r.hash,
  };
}

/**
 * Ships every tenant's new audit rows and checkpoints, in sequence order, and records how
 * far it got in the same transaction: a failed send rolls the position back and the rows
 * go again next round (at least once; `tenant_id` + `seq` identify a row). Runs as the
 * system, across tenants; a transaction-level advisory lock lets one replica ship at a time.
 */
export async function shipAudit(tx: Executor, sink: SyslogSink): Promise<number> {
  const [lock] = rowsOf<{ ok: boolean }>(
    await tx.execute(sql`select pg_try_advisory_xact_lock(hashtextextended('audit-stream', 0)) as ok`),
  );
  if (!lock?.ok) return 0;
  const due = rowsOf<{ tenant_id: string; seq: string; checkpoint_id: string }>(
    await tx.execute(sql`
      select t.id as tenant_id, coalesce(p.seq, 0) as seq, coalesce(p.checkpoint_id, 0) as checkpoint_id
      from tenants t left join audit_stream_positions p on p.tenant_id = t.id
      where exists (select 1 from audit_logs a where a.tenant_id = t.id and a.seq > coalesce(p.seq, 0))
         or exists (select 1 from audit_checkpoints c where c.tenant_id = t.id and c.id > coalesce(p.checkpoint_id, 0))`),
  );
  let shipped = 0;
  for (const t of due)
    shipped += await shipTenant(tx, sink, t.tenant_id, Number(t.seq), Number(t.checkpoint_id));
  return shipped;
}

async function shipTenant(
  tx: Executor,
  sink: SyslogSink,
  tenantId: string,
  seq: number,
  checkpointId: number,
) {
  const rows = await tx
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.tenantId, tenantId), gt(auditLogs.seq, seq)))
    .orderBy(asc(auditLogs.seq))
    .limit(BATCH);
  const checkpoints = await tx
    .select()
    .from(auditCheckpoints)
    .where(and(eq(auditCheckpoints.tenantId, tenantId), gt(auditCheckpoints.id, checkpointId)))
    .orderBy(asc(auditCheckpoints.id))
    .limit(BATCH);
  await sink.send([
    ...rows.map((r) => syslogFrame('audit', r.createdAt, event(r))),
    ...checkpoints.map((c) =>
      syslogFrame('checkpoint', c.createdAt, {
        tenant_id: c.tenantId,
        seq: c.seq,
        hash: c.hash,
        reason: c.reason,
        created_at: c.createdAt.toISOString(),
        signature: c.signature,
      }),
    ),
  ]);
  const position = {
    tenantId,
    seq: rows.at(-1)?.seq ?? seq,
    checkpointId: checkpoints.at(-1)?.id ?? checkpointId,
    updatedAt: new Date(),
  };
  await tx
    .insert(auditStreamPositions)
    .values(position)
    .onConflictDoUpdate({ target: auditStreamPositions.tenantId, set: position });
  return rows.length + checkpoints.length;
}

/** Logs a failing sink once until it works again, not every round. */
export function sinkErrorLogger(log: Logger) {
  let failing = false;
  return {
    failed(err: unknown) {
      if (!failing) log.error({ err }, 'streaming the audit log to the syslog receiver failed');
      failing = true;
    },
    ok() {
      if (failing) log.info('streaming the audit log to the syslog receiver works again');
      failing = false;
    },
  };
}
