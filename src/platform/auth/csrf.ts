import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden } from '../errors/problem.ts';

/** Readable by the console's scripts (not HttpOnly), which echo it in CSRF_HEADER. */
export const CSRF_COOKIE = 'si_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The double-submit token of a session: a digest of the session token, so it needs no
 * storage, changes with every session, and cannot be made by someone who can plant a
 * cookie (a sibling subdomain) but cannot read the HttpOnly session cookie.
 */
export function csrfToken(sessionToken: string): string {
  return createHash('sha256').update(`si-csrf\0${sessionToken}`).digest('base64url');
}

function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin) return origin === `${request.protocol}://${request.host}`;
  // Browsers send Sec-Fetch-Site on every request, Origin only on some (not same-origin GETs).
  return request.headers['sec-fetch-site'] === 'same-origin';
}

function tokenMatches(request: FastifyRequest, sessionToken: string): boolean {
  const given = request.headers[CSRF_HEADER];
  if (typeof given !== 'string') return false;
  const expected = Buffer.from(csrfToken(sessionToken));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * For a request signed in by the session cookie: an unsafe method (or a GET that changes
 * state, `config.changesState`) must come from the console's own origin and carry the
 * session's token in a header, which a page on another site can neither read nor send.
 * Bearer-token requests are not sent by browsers on their own, so they are not checked.
 */
export function checkCsrf(request: FastifyRequest, sessionToken: string): void {
  if (!UNSAFE.has(request.method) && !request.routeOptions.config.changesState) return;
  if (!sameOrigin(request))
    throw forbidden(
      'auth.csrf_origin',
      'A request signed in by cookie must come from this site (Origin or Sec-Fetch-Site).',
    );
  if (!tokenMatches(request, sessionToken))
    throw forbidden(
      'auth.csrf_token',
      `A request signed in by cookie must carry the ${CSRF_HEADER} header from the ${CSRF_COOKIE} cookie.`,
      { header: CSRF_HEADER },
    );
}

/**
 * Sign-in from another site's page (login CSRF: the victim's browser signed in to the
 * attacker's account, and what they then label or upload lands there). A browser says
 * where a request comes from; clients that are not browsers send neither header and pass.
 */
export function refuseCrossSite(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  const crossSite = request.headers.origin
    ? !sameOrigin(request)
    : site !== undefined && site !== 'same-origin' && site !== 'none';
  if (crossSite)
    throw forbidden('auth.cross_site_login', 'Sign in from this site: the request came from another one.');
}

/** Sets the CSRF cookie beside a session cookie (at sign-in, and for sessions that predate it). */
export function setCsrfCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  sessionToken: string,
  expires?: Date,
): void {
  const token = csrfToken(sessionToken);
  if (request.cookies[CSRF_COOKIE] === token) return;
  reply.setCookie(CSRF_COOKIE, token, {
    httpOnly: false,
    sameSite: 'lax',
    path: '/',
    secure: request.protocol === 'https',
    ...(expires ? { expires } : {}),
  });
}
