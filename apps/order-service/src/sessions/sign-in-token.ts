import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The token of a sign-in link: `v1.<link id>.<expiry>.<signature>`. The link id is the uuid's 16
 * bytes as base64url, the expiry whole epoch seconds, the signature HMAC-SHA256 over both as
 * base64url. Pure: the caller passes the secret and the clock.
 */
const VERSION = 'v1';
const LINK_ID = /^[A-Za-z0-9_-]{22}$/;
const EXPIRY = /^[1-9][0-9]{0,11}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

export type SignInTokenCheck = { ok: true; linkId: string; expiresAt: Date } | { ok: false; reason: 'malformed' | 'tampered' | 'expired' };

/** A token for this link that works until `expiresAt` (cut to the whole second, as the token carries it). */
export function signSignInToken(linkId: string, expiresAt: Date, secret: string): string {
  const id = Buffer.from(linkId.replaceAll('-', ''), 'hex').toString('base64url');
  const expiry = String(Math.floor(expiresAt.getTime() / 1000));
  return `${VERSION}.${id}.${expiry}.${signature(id, expiry, secret).toString('base64url')}`;
}

/**
 * Checks the format, then the signature, then the expiry, in that order: a token that fails any of
 * them never reaches the database. `expired` when `now` is at or past the expiry.
 */
export function verifySignInToken(token: string, secret: string, now: Date): SignInTokenCheck {
  const parts = token.split('.');
  if (parts.length !== 4) return { ok: false, reason: 'malformed' };
  const [version, id, expiry, mac] = parts;
  if (version !== VERSION || !LINK_ID.test(id) || !EXPIRY.test(expiry) || !SIGNATURE.test(mac)) return { ok: false, reason: 'malformed' };
  const idBytes = Buffer.from(id, 'base64url');
  const macBytes = Buffer.from(mac, 'base64url');
  // Base64url has spare bits in its last character: only the canonical spelling is one token, not four.
  if (idBytes.toString('base64url') !== id || macBytes.toString('base64url') !== mac) return { ok: false, reason: 'malformed' };
  if (!timingSafeEqual(macBytes, signature(id, expiry, secret))) return { ok: false, reason: 'tampered' };
  const expiresAt = new Date(Number(expiry) * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, linkId: uuidOf(idBytes), expiresAt };
}

function signature(id: string, expiry: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(`sign-in|${VERSION}|${id}|${expiry}`).digest();
}

function uuidOf(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
