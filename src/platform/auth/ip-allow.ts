import net from 'node:net';
import { eq } from 'drizzle-orm';
import type { Bus } from '../cache/index.ts';
import type { Db } from '../db/client.ts';
import { ipWhitelist } from './schema.ts';

/** Normalises an address or CIDR; returns undefined when it is neither. */
export function parseCidr(
  value: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const parts = value.trim().split('/');
  // "10.0.0.0/8/9" is not a range with trailing noise to ignore; it is not a range.
  if (parts.length > 2) return undefined;
  const [addr = '', prefixText] = parts;
  const version = net.isIP(addr);
  if (version === 0) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { address: addr, prefix, family };
}

/** IPv4 clients reached over an IPv6 socket appear as ::ffff:a.b.c.d. */
export function normaliseIp(ip: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address: ip, family: net.isIP(ip) === 6 ? 'ipv6' : 'ipv4' };
}

export function buildList(cidrs: string[]): net.BlockList {
  const list = new net.BlockList();
  for (const c of cidrs) {
    const parsed = parseCidr(c);
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}

export function listAllows(list: net.BlockList, ip: string): boolean {
  const { address, family } = normaliseIp(ip);
  return list.check(address, family);
}

const CHANNEL = 'ip-allow:changed';

/** Per-tenant allow-lists, cached briefly and dropped on every replica when one changes. */
export class IpAllowList {
  private readonly cache = new Map<string, { list: net.BlockList | null; loadedAt: number }>();

  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly ttlMs = 5000,
  ) {
    bus.subscribe(CHANNEL, (tenantId) => this.cache.delete(tenantId));
  }

  /** Whether `ip` may reach the tenant: always when its list is empty. */
  async allows(tenantId: string, ip: string): Promise<boolean> {
    let entry = this.cache.get(tenantId);
    if (!entry || Date.now() - entry.loadedAt > this.ttlMs) {
      const rows = await this.db
        .select({ cidr: ipWhitelist.cidr })
        .from(ipWhitelist)
        .where(eq(ipWhitelist.tenantId, tenantId));
      entry = { list: rows.length ? buildList(rows.map((r) => r.cidr)) : null, loadedAt: Date.now() };
      this.cache.set(tenantId, entry);
    }
    return entry.list === null || listAllows(entry.list, ip);
  }

  async changed(tenantId: string): Promise<void> {
    await this.bus.publish(CHANNEL, tenantId);
  }
}
