import { SESSION_COOKIE } from '@shop/contracts';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, randomBytes } from 'node:crypto';

/** `auto`: Secure when the request came over https (as a trusted proxy reports it); `always`: Secure regardless. */
export type SessionCookieSecure = 'auto' | 'always';

/** A session id is 32 random bytes as base64url: the cookie's whole value. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** A new session id, the cookie's value. Only its hash is stored. */
export const newSessionId = (): string => randomBytes(32).toString('base64url');

/** What the database keeps of a session id: a leaked table opens no session. */
export const sessionHash = (sessionId: string): Buffer => createHash('sha256').update(sessionId).digest();

/**
 * The cookie's options: only the API reads it (Path=/api), no script does (HttpOnly), and a
 * cross-site request never carries it into a state change (SameSite=Lax, with JSON-only bodies).
 * No Domain: it stays with the host that set it. Unsigned: the value is random and looked up by its
 * hash. `'auto'` is @fastify/cookie's "Secure iff request.protocol is https", and request.protocol
 * believes X-Forwarded-Proto only from the proxies HTTP_TRUSTED_PROXIES names, so a client cannot
 * talk its way into (or out of) Secure.
 */
const options = (maxAgeSeconds: number, secure: SessionCookieSecure): CookieSerializeOptions => ({
  maxAge: maxAgeSeconds,
  path: '/api',
  httpOnly: true,
  sameSite: 'lax',
  secure: secure === 'always' ? true : 'auto',
});

export function setSessionCookie(reply: FastifyReply, sessionId: string, maxAgeSeconds: number, secure: SessionCookieSecure): void {
  reply.setCookie(SESSION_COOKIE, sessionId, options(maxAgeSeconds, secure));
}

/** Tells the browser to forget the cookie (same name, path and flags, already expired). */
export function clearSessionCookie(reply: FastifyReply, secure: SessionCookieSecure): void {
  reply.clearCookie(SESSION_COOKIE, options(0, secure));
}

/** The session id the request's `shop_session` cookie carries, if it carries one that could be ours. */
export function sessionIdOf(request: FastifyRequest): string | null {
  const value = request.cookies[SESSION_COOKIE];
  return value !== undefined && SESSION_ID.test(value) ? value : null;
}
