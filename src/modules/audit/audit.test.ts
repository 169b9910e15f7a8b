import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newTenant } from '../../../test/fixtures.ts';
import { testApp } from '../../../test/helpers.ts';
import { inTenant } from '../../platform/db/tenancy.ts';

async function unaudited(ctx: Awaited<ReturnType<typeof testApp>>): Promise<number> {
  const metric = await ctx.platform.registry.getSingleMetric('superinsight_unaudited_mutations_total')?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

describe('audit log', () => {
  it('records every mutation with who, what, where and request id, and filters them', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const member = await t.member(['viewer'], 'Vic');
    const role = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { name: 'auditor', permissions: ['audit:read'] },
      headers: { 'x-request-id': 'req-audit-1', 'user-agent': 'audit-test/1.0' },
    });
    await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/users/${member.userId}/roles`,
      payload: { role_id: role.json().id },
    });

    const all = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?limit=1000' });
    const actions = all.json().items.map((r: { action: string }) => r.action);
    expect(actions).toEqual(
      expect.arrayContaining(['auth.login', 'user.added', 'role.created', 'role.assigned']),
    );
    const created = all.json().items.find((r: { action: string }) => r.action === 'role.created');
    expect(created).toMatchObject({
      actor_id: t.owner.userId,
      actor_type: 'user',
      resource_type: 'role',
      resource_id: role.json().id,
      request_id: 'req-audit-1',
      user_agent: 'audit-test/1.0',
      ip: '127.0.0.1',
    });
    expect(created.details.name).toBe('auditor');

    const byPrefix = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=role.' });
    expect(
      byPrefix
        .json()
        .items.map((r: { action: string }) => r.action)
        .sort(),
    ).toEqual(['role.assigned', 'role.created']);
    const byResource = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/audit/logs?resource_type=user&resource_id=${member.userId}`,
    });
    expect(
      byResource
        .json()
        .items.map((r: { action: string }) => r.action)
        .sort(),
    ).toEqual(['role.assigned', 'user.added']);
    const byActor = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/audit/logs?actor_id=${member.userId}`,
    });
    expect(byActor.json().items.map((r: { action: string }) => r.action)).toEqual(['auth.login']);
    const future = await t.as(t.owner, {
      method: 'GET',
      url: '/api/v1/audit/logs?from=2999-01-01T00:00:00Z',
    });
    expect(future.json().items).toEqual([]);

    // Cursor pages walk the whole log once, newest first.
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await t.as(t.owner, {
        method: 'GET',
        url: `/api/v1/audit/logs?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      });
      seen.push(...page.json().items.map((r: { seq: number }) => r.seq));
      cursor = page.json().next_cursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort((x, y) => y - x));
    expect(new Set(seen).size).toBe(all.json().items.length);
    expect(await unaudited(ctx)).toBe(0);
  });

  it('keeps the chain in order under concurrent writers, and verifies it', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.as(t.owner, { method: 'POST', url: '/api/v1/roles', payload: { name: `r${i}`, permissions: [] } }),
      ),
    );
    expect(results.every((r) => r.statusCode === 201)).toBe(true);
    const verify = await t.as(t.owner, { method: 'POST', url: '/api/v1/audit/verify' });
    expect(verify.json()).toEqual({
      ok: true,
      checked: 21,
      first_broken_id: null,
      reason: null,
      broken_from_seq: null,
      broken_to_seq: null,
      checkpoints_checked: 0,
      latest_checkpoint: null,
      head_seq: 21,
    });
  });

  it('is append-only for the application role', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const db = ctx.platform.database.db;
    await expect(
      inTenant(db, { tenantId: t.tenantId }, (tx) => tx.execute(sql`update audit_logs set action = 'x'`)),
    ).rejects.toThrow();
    await expect(
      inTenant(db, { tenantId: t.tenantId }, (tx) => tx.execute(sql`delete from audit_logs`)),
    ).rejects.toThrow();
  });

  it('names the first tampered or removed row', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    for (const name of ['a', 'b', 'c', 'd']) {
      await t.as(t.owner, { method: 'POST', url: '/api/v1/roles', payload: { name, permissions: [] } });
    }
    const raw = ctx.platform.database.raw;
    const { rows } = await raw.query('select id, seq from audit_logs where tenant_id = $1 order by seq', [
      t.tenantId,
    ]);
    const third = rows[2]!;
    // A superuser (the connection's own role, which bypasses RLS and grants) rewrites history.
    await raw.query(`update audit_logs set details = '{"name":"forged"}' where id = $1`, [third.id]);
    const tampered = await t.as(t.owner, { method: 'POST', url: '/api/v1/audit/verify' });
    expect(tampered.json()).toMatchObject({ ok: false, checked: 2, first_broken_id: Number(third.id) });

    const other = await newTenant(ctx);
    for (const name of ['a', 'b', 'c']) {
      await other.as(other.owner, {
        method: 'POST',
        url: '/api/v1/roles',
        payload: { name, permissions: [] },
      });
    }
    const { rows: o } = await raw.query('select id from audit_logs where tenant_id = $1 order by seq', [
      other.tenantId,
    ]);
    await raw.query('delete from audit_logs where id = $1', [o[1]!.id]);
    const removed = await other.as(other.owner, { method: 'POST', url: '/api/v1/audit/verify' });
    expect(removed.json()).toMatchObject({ ok: false, first_broken_id: Number(o[2]!.id) });
    expect(removed.json().reason).toContain('sequence');
  });

  it('exports the log as CSV and JSON, streaming, and records the export', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    for (let i = 0; i < 5; i++) {
      await t.as(t.owner, {
        method: 'POST',
        url: '/api/v1/roles',
        payload: { name: `role,"${i}"`, permissions: [] },
      });
    }
    const json = await t.as(t.owner, {
      method: 'GET',
      url: '/api/v1/audit/logs/export?format=json&action=role.',
    });
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-disposition']).toContain('attachment');
    const rows = JSON.parse(json.body);
    expect(rows).toHaveLength(5);
    expect(rows[0].details.name).toBe('role,"4"');

    const csv = await t.as(t.owner, {
      method: 'GET',
      url: '/api/v1/audit/logs/export?format=csv&action=role.',
    });
    expect(csv.headers['content-type']).toContain('text/csv');
    const records = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(5);
    expect(JSON.parse(records[4]!.details!).name).toBe('role,"0"');
    expect(records[0]!.hash).toMatch(/^[0-9a-f]{64}$/);

    const events = await t.as(t.owner, { method: 'GET', url: '/api/v1/security/events?type=bulk_export' });
    expect(events.json().items).toHaveLength(2);
    const exported = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=audit.exported' });
    expect(exported.json().items).toHaveLength(2);
  });
});
