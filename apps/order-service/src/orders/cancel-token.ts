import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * An order's cancel capability: HMAC-SHA256 of the order id under CANCEL_TOKEN_SECRET, as base64url
 * (32 bytes, 43 characters). Derived rather than stored, so the idempotent replay of POST /api/orders
 * can return it again, and a leaked orders table holds no capability. Pure: the caller passes the secret.
 */
export function cancelTokenFor(orderId: string, secret: string): string {
  return mac(orderId, secret).toString('base64url');
}

/** Whether `token` is this order's capability (compared in constant time). */
export function isCancelTokenOf(orderId: string, token: string, secret: string): boolean {
  const presented = Buffer.from(token, 'base64url');
  const expected = mac(orderId, secret);
  // Only the canonical spelling counts: base64url has spare bits in its last character.
  return presented.length === expected.length && presented.toString('base64url') === token && timingSafeEqual(presented, expected);
}

function mac(orderId: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(`cancel|v1|${orderId.toLowerCase()}`).digest();
}

/** Who asks to cancel: the cancel-token header checked against the order (null: none sent), and the shopper session's email (null: none). */
export interface CancelCredentials {
  tokenMatches: boolean | null;
  sessionEmail: string | null;
}

export type CancelAuthorization = 'allowed' | 'no-credentials' | 'forbidden';

/** Either credential that belongs to the order allows; one that does not is 403; none at all is 401. */
export function authorizeCancel(credentials: CancelCredentials, ownerEmail: string): CancelAuthorization {
  if (credentials.tokenMatches === true || credentials.sessionEmail === ownerEmail) return 'allowed';
  return credentials.tokenMatches === null && credentials.sessionEmail === null ? 'no-credentials' : 'forbidden';
}
