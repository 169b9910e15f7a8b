import { STATUS_CODES } from 'node:http';
import type { ProblemCode } from './codes.ts';

export type { ProblemCode } from './codes.ts';

/** The values a problem's message names (ids, field names, limits), for the console to interpolate. */
export type ProblemParams = Record<string, string | number | boolean | null>;

export interface FieldError {
  path: string;
  message: string;
  /** The rule the value broke (for schema errors, ajv's keyword: `minLength`, `required`...). */
  code?: string;
  params?: ProblemParams;
}

export interface ProblemExtra {
  type?: string;
  title?: string;
  errors?: FieldError[];
  params?: ProblemParams;
  [key: string]: unknown;
}

/**
 * An error that becomes an RFC 9457 problem document. Services throw these; the error
 * handler renders them, so handlers never build error bodies by hand. `code` is stable
 * (the console translates it, clients branch on it); `detail` is the English sentence.
 */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extra: ProblemExtra = {},
  ) {
    super(detail);
  }

  get title(): string {
    return this.extra.title ?? STATUS_CODES[this.status] ?? 'Error';
  }

  get params(): ProblemParams {
    return this.extra.params ?? {};
  }
}

export const badRequest = (
  code: ProblemCode,
  detail: string,
  errors?: FieldError[],
  params?: ProblemParams,
) => new Problem(400, code, detail, { errors, params });
export const unauthorized = (code: ProblemCode = 'auth.required', detail = 'Authentication is required.') =>
  new Problem(401, code, detail);
export const forbidden = (code: ProblemCode, detail: string, params?: ProblemParams) =>
  new Problem(403, code, detail, { params });
/** `what` starts the English sentence: notFound('project.not_found', 'The project'). */
export const notFound = (code: ProblemCode, what: string, params?: ProblemParams) =>
  new Problem(404, code, `${what} was not found.`, { params });
export const conflict = (code: ProblemCode, detail: string, params?: ProblemParams) =>
  new Problem(409, code, detail, { params });
export const tooManyRequests = (
  code: ProblemCode,
  detail: string,
  retryAfterSeconds: number,
  params?: ProblemParams,
) => new Problem(429, code, detail, { retryAfter: retryAfterSeconds, params });
