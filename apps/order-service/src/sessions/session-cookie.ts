import { SESSION_COOKIE } from '@shop/contracts';
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
 * The cookie's attributes: only the API reads it (Path=/api), no script does (HttpOnly), and a
 * cross-site request never carries it into a state change (SameSite=Lax, with JSON-only bodies).
 * No Domain: it stays with the host that set it. Unsigned: the value is random and looked up by its
 * hash. `request.protocol` believes X-Forwarded-Proto only from the proxies HTTP_TRUSTED_PROXIES
 * names, so a client cannot talk its way into (or out of) Secure.
 */
function attributes(reply: FastifyReply, maxAgeSeconds: number, secure: SessionCookieSecure): string {
  const isSecure = secure === 'always' || reply.request.protocol === 'https';
  return `Max-Age=${maxAgeSeconds}; Path=/api; HttpOnly; SameSite=Lax${isSecure ? '; Secure' : ''}`;
}

export function setSessionCookie(reply: FastifyReply, sessionId: string, maxAgeSeconds: number, secure: SessionCookieSecure): void {
  reply.header('Set-Cookie', `${SESSION_COOKIE}=${sessionId}; ${attributes(reply, maxAgeSeconds, secure)}`);
}

/** Tells the browser to forget the cookie (same name, path and flags, no value, already expired). */
export function clearSessionCookie(reply: FastifyReply, secure: SessionCookieSecure): void {
  reply.header('Set-Cookie', `${SESSION_COOKIE}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; ${attributes(reply, 0, secure)}`);
}

/** The session id the request's `shop_session` cookie carries, if it carries one that could be ours. */
export function sessionIdOf(request: FastifyRequest): string | null {
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (separator === -1 || pair.slice(0, separator).trim() !== SESSION_COOKIE) continue;
    const value = pair.slice(separator + 1).trim();
    return SESSION_ID.test(value) ? value : null;
  }
  return null;
}
