import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/**
 * The one HTTP client for calls the server makes to a URL a user gave (webhooks, and every
 * later provider, backend or source). It resolves the host itself, refuses loopback, private,
 * link-local, unique-local, metadata and other reserved addresses — for every address the
 * name resolves to, and again at every redirect — and connects to the address it checked,
 * so a DNS answer that changes between the check and the connection (rebinding) cannot
 * swap it. OUTBOUND_ALLOW_CIDRS lets an operator allow ranges (on-premises model servers).
 * Responses are bounded in time and size; their bodies are the caller's to use and must
 * never be shown to tenants (errors here never carry them).
 */

export type OutboundFailure = 'bad_url' | 'refused_address' | 'timeout' | 'too_large' | 'network';

export class OutboundError extends Error {
  constructor(
    readonly reason: OutboundFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** For the whole exchange, redirects included (default 10 s). */
  timeoutMs?: number;
  /** A longer response body fails the request (default 1 MiB). */
  maxResponseBytes?: number;
  /** Redirects followed, each re-checked (default 3; 0 returns the 3xx). */
  maxRedirects?: number;
  /** Ends the request early (the caller went away); it fails as a timeout. */
  signal?: AbortSignal;
}

export interface OutboundStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const REFUSED_V4 = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const;

const REFUSED_V6 = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::ffff:0:0', 96], // IPv4-mapped: would reach any IPv4 address, private ones included
  ['64:ff9b::', 96], // NAT64, likewise
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4, embeds IPv4
  ['fc00::', 7], // unique-local (AWS metadata fd00:ec2::254 too)
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const;

const REFUSED = new net.BlockList();
for (const [address, prefix] of REFUSED_V4) REFUSED.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of REFUSED_V6) REFUSED.addSubnet(address, prefix, 'ipv6');

/** Parses `10.0.0.0/8, ::1/128, 192.168.1.7` into a BlockList; throws naming a bad entry. */
export function parseCidrs(raw: string): net.BlockList {
  const list = new net.BlockList();
  for (const entry of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address = '', prefixText] = entry.split('/');
    const family = net.isIP(address);
    const max = family === 6 ? 128 : 32;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > max)
      throw new Error(`"${entry}" is not an address or CIDR range`);
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class Outbound {
  readonly #allowed: net.BlockList;

  constructor(allowCidrs = '') {
    this.#allowed = parseCidrs(allowCidrs);
  }

  /** Whether a request may connect to this resolved address. */
  permits(address: string): boolean {
    const type = net.isIP(address) === 6 ? 'ipv6' : 'ipv4';
    return this.#allowed.check(address, type) || !REFUSED.check(address, type);
  }

  /** Sends one request (following redirects as allowed) within the limits. */
  async request(url: string, options: OutboundRequest = {}): Promise<OutboundResponse> {
    const deadline = deadlineOf(options);
    let current = parseTarget(url);
    let method = options.method ?? 'GET';
    let body = options.body;
    for (let hop = 0; ; hop++) {
      const res = await this.#send(
        current,
        method,
        options.headers ?? {},
        body,
        deadline,
        options.maxResponseBytes ?? 1 << 20,
      );
      const location = res.headers.location;
      if (!REDIRECTS.has(res.status) || !location || hop >= (options.maxRedirects ?? 3)) return res;
      current = parseTarget(new URL(location, current).toString());
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
    }
  }

  /**
   * Resolves every address of the host and refuses the request if any is not permitted;
   * the socket then connects to the checked address. Node 20 asks for every address
   * (`all`, for happy eyeballs) or for one.
   */
  #lookup = (
    hostname: string,
    options: { all?: boolean },
    callback: (err: Error | null, address: string | dns.LookupAddress[], family?: number) => void,
  ) => {
    const host = hostname.replace(/^\[|\]$/g, '');
    const check = (addresses: dns.LookupAddress[]) => {
      if (addresses.some((a) => !this.permits(a.address))) return callback(refusal(hostname), '');
      const first = addresses[0];
      if (!first) return callback(new OutboundError('network', `${hostname} has no address`), '');
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    };
    const family = net.isIP(host);
    if (family) return check([{ address: host, family }]);
    dns.lookup(host, { all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(new OutboundError('network', `${hostname} could not be resolved`), '');
      check(addresses);
    });
  };

  /**
   * Like `request` without redirects, but hands the body over as a stream once the headers
   * arrive (server-sent events, NDJSON). The deadline bounds the whole exchange, reading
   * included; the caller's `signal` ends it early. Read or destroy the body.
   */
  async stream(
    url: string,
    options: OutboundRequest & { signal?: AbortSignal } = {},
  ): Promise<OutboundStream> {
    const signal = deadlineOf(options);
    const res = await this.#open(
      parseTarget(url),
      options.method ?? 'GET',
      options.headers ?? {},
      options.body,
      signal,
    );
    return { status: res.statusCode ?? 0, headers: res.headers, body: res };
  }

  async #send(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    signal: AbortSignal,
    maxBytes: number,
  ): Promise<OutboundResponse> {
    const res = await this.#open(url, method, headers, body, signal);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          res.destroy();
          reject(new OutboundError('too_large', `the response was larger than ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', () =>
        reject(
          signal.aborted
            ? new OutboundError('timeout', 'the endpoint did not answer in time')
            : new OutboundError('network', 'the response was cut off'),
        ),
      );
    });
  }

  /** Connects (after the address checks) and resolves with the response once its headers arrive. */
  #open(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    signal: AbortSignal,
  ): Promise<http.IncomingMessage> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // An IP literal never goes through `lookup`, so it is checked here.
    if (net.isIP(host) && !this.permits(host)) return Promise.reject(refusal(url.hostname));
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(url, {
        method,
        headers: {
          ...headers,
          ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
        },
        lookup: this.#lookup as unknown as net.LookupFunction,
        // One connection per request: a pooled socket would skip the address check.
        agent: false,
        signal,
      });
      req.on('error', (err) => {
        if (err instanceof OutboundError) reject(err);
        else if (signal.aborted) reject(new OutboundError('timeout', 'the endpoint did not answer in time'));
        else
          reject(
            new OutboundError(
              'network',
              `could not reach the endpoint (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
            ),
          );
      });
      req.on('response', resolve);
      req.end(body);
    });
  }
}

/** The request's deadline, ended early by the caller's signal when it has one. */
function deadlineOf(options: { timeoutMs?: number; signal?: AbortSignal }): AbortSignal {
  const deadline = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  return options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
}

function refusal(hostname: string): OutboundError {
  return new OutboundError(
    'refused_address',
    `${hostname} is a loopback, private, link-local or reserved address; outbound requests may not go there (OUTBOUND_ALLOW_CIDRS allows ranges)`,
  );
}

function parseTarget(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundError('bad_url', 'the URL is not valid');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new OutboundError('bad_url', `only http and https URLs may be called, not ${url.protocol}`);
  return url;
}
