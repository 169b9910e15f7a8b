import { describe, expect, it } from 'vitest';
import { personalDigest, rowHash } from './chain.ts';

const row = {
  tenantId: '00000000-0000-4000-8000-000000000001',
  seq: 7,
  actorId: null,
  actorType: 'system' as const,
  action: 'role.created',
  resourceType: 'role',
  resourceId: 'r1',
  ip: '10.0.0.1',
  userAgent: 'ua/1',
  requestId: 'req-1',
  details: { name: 'x', n: [1, { b: 2, a: 1 }] },
  createdAt: new Date('2026-01-02T03:04:05.678Z'),
  prevHash: '0'.repeat(64),
  actorEmail: null,
  personalDetails: null,
  personalSalt: null,
  personalDigest: null,
};

describe('audit row hash', () => {
  it('keeps the hash of rows written before personal digests (version 1)', () => {
    // Computed by the release before hash version 2 for this very row.
    expect(rowHash({ ...row, hashVersion: 1 })).toBe(
      '44d58dc0fe01c8e07771041b4c4d09412a98a260863b2bdbe6c418445d8f726a',
    );
  });

  it('covers personal fields through their salted digest only (version 2)', () => {
    const personal = { ...row, actorEmail: 'a@b.test', personalDetails: { email: 'c@d.test' } };
    const digest = personalDigest('salt-1', personal);
    const v2 = { ...personal, hashVersion: 2, personalSalt: 'salt-1', personalDigest: digest };
    const erased = {
      ...v2,
      actorEmail: null,
      ip: null,
      userAgent: null,
      personalSalt: null,
      personalDetails: { email: null },
    };
    expect(rowHash(erased)).toBe(rowHash(v2));
    expect(personalDigest('salt-2', personal)).not.toBe(digest);
    expect(personalDigest('salt-1', { ...personal, ip: '10.0.0.2' })).not.toBe(digest);
    expect(
      rowHash({ ...v2, personalDigest: personalDigest('salt-1', { ...personal, ip: '10.0.0.2' }) }),
    ).not.toBe(rowHash(v2));
  });
});
