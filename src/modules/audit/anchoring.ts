import { sql } from 'drizzle-orm';
import { checkpointKey, writeCheckpoint } from '../../platform/audit/checkpoints.ts';
import { SyslogSink, shipAudit, sinkErrorLogger } from '../../platform/audit/stream.ts';
import { rowsOf } from '../../platform/db/sql.ts';
import { inSystem } from '../../platform/db/tenancy.ts';
import type { Platform } from '../../platform/index.ts';

/** Checkpoints the head of every tenant's chain that moved since its last checkpoint. */
export async function checkpointAll(platform: Platform): Promise<number> {
  const key = checkpointKey(platform.masterKey);
  const tenants = await inSystem(platform.database.db, async (tx) =>
    rowsOf<{ id: string }>(await tx.execute(sql`select id from tenants`)),
  );
  let written = 0;
  for (const t of tenants) {
    const c = await inSystem(platform.database.db, (tx) => writeCheckpoint(tx, key, t.id, 'schedule'));
    if (c) written += 1;
  }
  return written;
}

/** Calls `work` every `ms`, never two at once, until the platform closes. */
function every(platform: Platform, ms: number, what: string, work: () => Promise<unknown>): void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    work()
      .catch((err) => platform.log.error({ err }, `${what} failed`))
      .finally(() => {
        running = false;
      });
  }, ms);
  timer.unref();
  platform.onClose(() => clearInterval(timer));
}

/**
 * The scheduled checkpoints of every tenant's chain and, when `AUDIT_SYSLOG_URL` is set,
 * the stream of audit rows and checkpoints to the SIEM.
 */
export function startAnchoring(platform: Platform): void {
  const { audit } = platform.config;
  every(platform, audit.checkpointMinutes * 60_000, 'audit checkpointing', () => checkpointAll(platform));
  if (!audit.syslogUrl) return;
  const sink = SyslogSink.fromConfig(audit.syslogUrl, audit.syslogCaFile);
  const errors = sinkErrorLogger(platform.log);
  platform.onClose(() => sink.close());
  every(platform, audit.streamIntervalMs, 'audit streaming', async () => {
    try {
      await inSystem(platform.database.db, (tx) => shipAudit(tx, sink));
      errors.ok();
    } catch (err) {
      errors.failed(err);
    }
  });
}
