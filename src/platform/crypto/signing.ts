import { createHmac } from 'node:crypto';

/**
 * The signature outgoing webhooks carry: HMAC-SHA256 over `<timestamp>.<body>` with the
 * receiver's secret, as `sha256=<hex>`. Receivers recompute it and reject stale timestamps.
 */
export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
