import { STATUS_CODES } from 'node:http';

export interface FieldError {
  path: string;
  message: string;
}

/**
 * An error that becomes an RFC 9457 problem document. Services throw these; the error
 * handler renders them, so handlers never build error bodies by hand.
 */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extra: { type?: string; title?: string; errors?: FieldError[]; [key: string]: unknown } = {},
  ) {
    super(detail);
  }

  get title(): string {
    return this.extra.title ?? STATUS_CODES[this.status] ?? 'Error';
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) => new Problem(400, detail, { errors });
export const unauthorized = (detail = 'Authentication is required.') => new Problem(401, detail);
export const forbidden = (detail = 'You do not have permission to do this.') => new Problem(403, detail);
export const notFound = (what = 'The resource') => new Problem(404, `${what} was not found.`);
export const conflict = (detail: string) => new Problem(409, detail);
export const tooManyRequests = (detail: string, retryAfterSeconds: number) =>
  new Problem(429, detail, { retryAfter: retryAfterSeconds });
