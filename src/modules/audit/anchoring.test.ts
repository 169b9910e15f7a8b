import { asc, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newTenant, type TenantFixture } from '../../../test/fixtures.ts';
import { type TestContext, testApp } from '../../../test/helpers.ts';
import { rowHash } from '../../platform/audit/chain.ts';
import { auditLogs } from '../../platform/audit/schema.ts';
import { inSystem, inTenant } from '../../platform/db/tenancy.ts';
import { checkpointAll } from './anchoring.ts';

async function addRoles(t: TenantFixture, names: string[]) {
  for (const name of names)
    await t.as(t.owner, { method: 'POST', url: '/api/v1/roles', payload: { name, permissions: [] } });
}

const verify = (t: TenantFixture) => t.as(t.owner, { method: 'POST', url: '/api/v1/audit/verify' });

/** As a database superuser would: rewrite one row and recompute every later hash. */
async function rewriteAndRecompute(ctx: TestContext, tenantId: string, seq: number) {
  await inSystem(ctx.platform.database.db, async (tx) => {
    const rows = await tx
      .select()
      .from(auditLogs)
      .where(eq(auditLogs.tenantId, tenantId))
      .orderBy(asc(auditLogs.seq));
    let prevHash = rows[0]!.prevHash;
    for (const row of rows) {
      const details = row.seq === seq ? { name: 'forged' } : row.details;
      const hash = rowHash({ ...row, details, prevHash });
      await tx.update(auditLogs).set({ details, prevHash, hash }).where(eq(auditLogs.id, row.id));
      prevHash = hash;
    }
  });
}

async function superuser(ctx: TestContext, query: string, params: unknown[]) {
  await ctx.platform.database.raw.query(query, params);
}

describe('audit anchoring', () => {
  it('checkpoints a verified chain and detects rows deleted from its end', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    await addRoles(t, ['a', 'b', 'c', 'd']);
    const first = await verify(t);
    expect(first.json()).toMatchObject({ ok: true, checked: 5, head_seq: 5, checkpoints_checked: 0 });
    const cps = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/checkpoints' });
    expect(cps.json().items).toEqual([
      expect.objectContaining({
        seq: 5,
        reason: 'verify',
        signature: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    ]);
    // The newest rows (seq 5 and the verification's own row 6) go.
    await superuser(ctx, 'delete from audit_logs where tenant_id = $1 and seq >= 4', [t.tenantId]);
    const res = await verify(t);
    expect(res.json()).toMatchObject({
      ok: false,
      checked: 3,
      broken_from_seq: 4,
      broken_to_seq: 5,
      latest_checkpoint: { seq: 5 },
    });
    expect(res.json().reason).toContain('rows 4 to 5 were deleted');
  });

  it('detects the deletion of the whole chain', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    await addRoles(t, ['a']);
    expect((await verify(t)).json().ok).toBe(true);
    await superuser(ctx, 'delete from audit_logs where tenant_id = $1', [t.tenantId]);
    const res = await verify(t);
    expect(res.json()).toMatchObject({ ok: false, checked: 0, broken_from_seq: 1, broken_to_seq: 2 });
    expect(res.json().reason).toContain('all were deleted');
  });

  it('detects a rewrite with every later hash recomputed, and locates it between two checkpoints', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    await addRoles(t, ['a', 'b']);
    expect(await checkpointAll(ctx.platform)).toBeGreaterThan(0); // the schedule's checkpoint at seq 3
    await checkpointAll(ctx.platform); // this head did not move: no second checkpoint of it
    const scheduled = (await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/checkpoints' })).json().items;
    expect(scheduled).toEqual([expect.objectContaining({ seq: 3, reason: 'schedule' })]);
    await addRoles(t, ['c', 'd', 'e']);
    expect((await verify(t)).json()).toMatchObject({ ok: true, checked: 6, checkpoints_checked: 1 });
    await rewriteAndRecompute(ctx, t.tenantId, 5);
    // The chain alone fits again: only the checkpoints witness the rewrite.
    const res = await verify(t);
    expect(res.json()).toMatchObject({
      ok: false,
      broken_from_seq: 4,
      broken_to_seq: 6,
      checkpoints_checked: 2,
    });
    expect(res.json().reason).toContain('rows 4 to 6 were rewritten');
    const [fourth] = await inSystem(ctx.platform.database.db, (tx) =>
      tx.select({ id: auditLogs.id }).from(auditLogs).where(sql`tenant_id = ${t.tenantId} and seq = 4`),
    );
    expect(res.json().first_broken_id).toBe(fourth!.id);
  });

  it('refuses a checkpoint it did not sign', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    await addRoles(t, ['a']);
    await superuser(
      ctx,
      `insert into audit_checkpoints (tenant_id, seq, hash, reason, created_at, signature)
       values ($1, 1, $2, 'verify', now(), $3)`,
      [t.tenantId, 'f'.repeat(64), '0'.repeat(64)],
    );
    const res = await verify(t);
    expect(res.json().ok).toBe(false);
    expect(res.json().reason).toContain('is not signed by this platform');
  });

  it('keeps checkpoints append-only and per tenant', async () => {
    const ctx = await testApp();
    const a = await newTenant(ctx);
    const b = await newTenant(ctx);
    await addRoles(a, ['a']);
    await verify(a);
    await verify(b);
    const db = ctx.platform.database.db;
    for (const statement of [sql`update audit_checkpoints set seq = 1`, sql`delete from audit_checkpoints`])
      await expect(inTenant(db, { tenantId: a.tenantId }, (tx) => tx.execute(statement))).rejects.toThrow();
    const mine = (await a.as(a.owner, { method: 'GET', url: '/api/v1/audit/checkpoints' })).json().items;
    const theirs = (await b.as(b.owner, { method: 'GET', url: '/api/v1/audit/checkpoints' })).json().items;
    expect(mine).toHaveLength(1);
    for (const c of mine) expect(JSON.stringify(theirs)).not.toContain(c.hash);
  });
});

describe('audit erasure', () => {
  it('erases personal fields of old rows while the chain still verifies', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const member = await t.member(['viewer'], 'Erin');
    await t.as(member, {
      method: 'GET',
      url: '/api/v1/audit/logs',
      headers: { 'user-agent': 'erin-browser/1.0' },
    });
    const before = (await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?limit=100' })).json().items;
    const added = before.find((r: { action: string }) => r.action === 'user.added');
    expect(added.details.email).toBe(member.email);
    const login = before.find(
      (r: { action: string; actor_id: string }) => r.action === 'auth.login' && r.actor_id === member.userId,
    );
    expect(login).toMatchObject({ ip: '127.0.0.1', details: { email: member.email } });

    const denied = await t.as(member, {
      method: 'POST',
      url: '/api/v1/audit/erasure',
      payload: { user_id: member.userId },
    });
    expect(denied.statusCode).toBe(403);
    const empty = await t.as(t.owner, { method: 'POST', url: '/api/v1/audit/erasure', payload: {} });
    expect(empty.statusCode).toBe(400);
    const erased = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/audit/erasure',
      payload: { user_id: member.userId },
    });
    expect(erased.json()).toEqual({ erased: 2, kept_version_1: 0 });

    const after = (await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?limit=100' })).json().items;
    const addedNow = after.find((r: { id: number }) => r.id === added.id);
    expect(addedNow).toMatchObject({
      details: { email: null, roles: ['viewer'] },
      erased_at: expect.any(String),
    });
    const loginNow = after.find((r: { id: number }) => r.id === login.id);
    expect(loginNow).toMatchObject({
      ip: null,
      user_agent: null,
      actor_email: null,
      actor_id: member.userId,
    });
    expect(JSON.stringify(after)).not.toContain(member.email);
    const owner = after.find((r: { action: string }) => r.action === 'audit.personal_erased');
    expect(owner).toMatchObject({ actor_email: t.owner.email, ip: '127.0.0.1' });
    expect((await verify(t)).json()).toMatchObject({ ok: true });
  });

  it('detects personal fields changed behind the digest', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    await addRoles(t, ['a']);
    // The application role may touch the personal columns (to erase them), but not unseen.
    await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, (tx) =>
      tx.execute(sql`update audit_logs set ip = '10.9.9.9' where seq = 2`),
    );
    const res = await verify(t);
    expect(res.json()).toMatchObject({ ok: false, broken_from_seq: 2, broken_to_seq: 2 });
    expect(res.json().reason).toBe('the personal fields do not match their digest');
  });
});
