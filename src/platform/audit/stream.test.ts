import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { newTenant } from '../../../test/fixtures.ts';
import { dropFreshDatabase, freshDatabaseEnv, startTestApp } from '../../../test/helpers.ts';
import { loadConfig } from '../../config.ts';
import { startAnchoring } from '../../modules/audit/anchoring.ts';
import { syslogFrame } from './stream.ts';

/** A syslog receiver (TCP or TLS) that splits octet-counted frames, as rsyslog's imtcp does. */
class Receiver {
  readonly messages: string[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(options?: tls.TlsOptions) {
    const onSocket = (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        for (;;) {
          const space = buf.indexOf(0x20);
          if (space < 0) return;
          const length = Number(buf.subarray(0, space).toString());
          if (buf.length < space + 1 + length) return;
          this.messages.push(buf.subarray(space + 1, space + 1 + length).toString());
          buf = buf.subarray(space + 1 + length);
        }
      });
      socket.on('error', () => {});
    };
    this.server = options ? tls.createServer(options, onSocket) : net.createServer(onSocket);
  }

  listen(port = 0): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(port, '127.0.0.1', () => resolve((this.server.address() as net.AddressInfo).port)),
    );
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The audit events of one tenant, by sequence number. */
  seqsOf(tenantId: string): number[] {
    return this.messages
      .filter((m) => / superinsight \d+ audit - /.test(m))
      .map((m) => JSON.parse(m.slice(m.indexOf(' - ') + 3)))
      .filter((e) => e.tenant_id === tenantId)
      .map((e) => e.seq);
  }
}

async function until(what: string, ok: () => boolean, ms = 15_000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// RFC 5424 §6: <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]
const HEADER =
  /^<(\d{1,3})>1 (\S+) ([\x21-\x7e]{1,255}) ([\x21-\x7e]{1,48}) ([\x21-\x7e]{1,128}) ([\x21-\x7e]{1,32}) - (.*)$/s;

describe('audit stream to a SIEM (syslog RFC 5424)', () => {
  it('frames messages as RFC 5424 with octet counting (RFC 6587)', () => {
    const at = new Date('2003-10-11T22:14:15.003Z');
    const frame = syslogFrame('audit', at, { note: 'é ü 中' }, 'mymachine.example.com');
    const [length, ...rest] = frame.split(' ');
    const message = rest.join(' ');
    expect(Number(length)).toBe(Buffer.byteLength(message));
    const m = HEADER.exec(message);
    expect(m?.slice(1, 7)).toEqual([
      '110',
      '2003-10-11T22:14:15.003Z',
      'mymachine.example.com',
      'superinsight',
      String(process.pid),
      'audit',
    ]);
    expect(JSON.parse(m![7]!)).toEqual({ note: 'é ü 中' });
    // A host name with spaces or controls cannot break the header.
    expect(HEADER.test(syslogFrame('checkpoint', at, {}, 'bad host\n').split(' ').slice(1).join(' '))).toBe(
      true,
    );
  });

  it('takes only tcp:// and tls:// receivers', () => {
    expect(() => loadConfig({ AUDIT_SYSLOG_URL: 'udp://127.0.0.1:514' })).toThrow(
      'AUDIT_SYSLOG_URL must use tcp: or tls:, got "udp:"',
    );
    expect(loadConfig({ AUDIT_SYSLOG_URL: 'tls://siem.example:6514' }).audit.syslogUrl).toBe(
      'tls://siem.example:6514',
    );
  });

  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  /** A platform of its own database that streams to the receiver `env` names, closed after the tests. */
  async function streaming(env: Record<string, string>) {
    const fresh = await freshDatabaseEnv({ ...env, AUDIT_STREAM_INTERVAL_MS: '100' });
    const ctx = await startTestApp(fresh, { migrate: true });
    cleanups.push(async () => {
      await ctx.app.close();
      await ctx.platform.close();
      await dropFreshDatabase(fresh);
    });
    startAnchoring(ctx.platform);
    return ctx;
  }

  it('streams every audit row and checkpoint over TCP, and catches up after the receiver was down', async () => {
    const receiver = new Receiver();
    const port = await receiver.listen();
    const t = await newTenant(await streaming({ AUDIT_SYSLOG_URL: `tcp://127.0.0.1:${port}` }));
    await t.as(t.owner, { method: 'POST', url: '/api/v1/roles', payload: { name: 'a', permissions: [] } });
    await until('the first rows', () => receiver.seqsOf(t.tenantId).length >= 2);
    expect(receiver.seqsOf(t.tenantId)).toEqual([1, 2]);
    const login = receiver.messages.find((m) => m.includes('"auth.login"'))!;
    expect(JSON.parse(login.slice(login.indexOf(' - ') + 3))).toMatchObject({
      tenant_id: t.tenantId,
      action: 'auth.login',
      details: { email: t.owner.email },
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    await receiver.close();
    for (const name of ['b', 'c', 'd'])
      await t.as(t.owner, { method: 'POST', url: '/api/v1/roles', payload: { name, permissions: [] } });
    await t.as(t.owner, { method: 'POST', url: '/api/v1/audit/verify' });
    await new Promise((r) => setTimeout(r, 500)); // a few rounds fail meanwhile
    const again = new Receiver();
    await again.listen(port);
    cleanups.push(() => again.close());
    await until('the rows written while it was down', () => again.seqsOf(t.tenantId).includes(6));
    expect(again.seqsOf(t.tenantId)).toEqual([3, 4, 5, 6]);
    await until('the checkpoint', () => again.messages.some((m) => / checkpoint - /.test(m)));
    const cp = again.messages.find((m) => / checkpoint - /.test(m))!;
    expect(JSON.parse(cp.slice(cp.indexOf(' - ') + 3))).toMatchObject({
      tenant_id: t.tenantId,
      seq: 5,
      reason: 'verify',
    });
  });

  it('streams over TLS to a receiver whose CA it is given', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-syslog-'));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ]);
    const receiver = new Receiver({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) });
    const port = await receiver.listen();
    cleanups.push(() => receiver.close());
    const t = await newTenant(
      await streaming({ AUDIT_SYSLOG_URL: `tls://localhost:${port}`, AUDIT_SYSLOG_CA_FILE: cert }),
    );
    await until('the sign-in row over TLS', () => receiver.seqsOf(t.tenantId).includes(1));
  });
});
