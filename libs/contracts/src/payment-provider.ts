import { z } from 'zod';

/**
 * The card processor's API, as the shop uses it. The provider stands for the outside world
 * (apps/payment-provider is a stand-in that behaves like one); this file is what the shop knows
 * of it: the browser tokenizes a card there, payment-service authorizes, captures, voids and
 * refunds there, and the tests read its ledger. Every call that moves money takes an
 * `Idempotency-Key` header: the same key returns the first result and never moves money twice;
 * the same key with a different body is a 422, and while the first call is still running, a 409.
 *
 *   POST /v1/tokens                              (browser; no secret)    card -> token
 *   POST /v1/authorizations                      (secret key)            hold the amount, or decline
 *   POST /v1/authorizations/:id/capture          (secret key)            move the held amount
 *   POST /v1/authorizations/:id/void             (secret key)            release a hold never captured
 *   POST /v1/authorizations/:id/refund           (secret key)            give a captured amount back
 *   GET  /v1/ledger?reference=<order id>         (secret key)            every movement, for the tests
 */

/** A provider's payment token (never a card number): `tok_` then letters, digits, `_` and `-`. */
export const paymentTokenSchema = z
  .string({ error: 'must be a string' })
  .min(5, 'must be a payment token from the provider')
  .max(200, 'must be at most 200 characters')
  .regex(/^tok_[A-Za-z0-9_-]+$/, 'must be a payment token from the provider, such as "tok_success"');

/** Header that carries the key making a money-moving call safe to retry. */
export const PROVIDER_IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * The documented test cards and the token each stands for: a server-side test may use the token
 * directly, as with real processors. Every other number that passes the Luhn check succeeds.
 */
export const TEST_CARDS = [
  { number: '4242424242424242', token: 'tok_success', behaviour: 'succeeds' },
  { number: '4000000000000002', token: 'tok_declined', behaviour: 'is declined (card_declined)' },
  { number: '4000000000009995', token: 'tok_insufficient_funds', behaviour: 'is declined for insufficient funds (insufficient_funds)' },
  {
    number: '4000000000000259',
    token: 'tok_hang',
    behaviour: 'authorizes, but the first answer hangs past any caller timeout (an unknown outcome); a retry with the same key gets the result',
  },
] as const;
export type TestCardToken = (typeof TEST_CARDS)[number]['token'];

/** Body of POST /v1/tokens. */
export const tokenizeCardRequestSchema = z.strictObject({
  card: z.strictObject({
    number: z.string().regex(/^[0-9]{12,19}$/, 'must be 12 to 19 digits'),
    expMonth: z.number().int().min(1).max(12),
    expYear: z.number().int().min(2000).max(2100),
    cvc: z.string().regex(/^[0-9]{3,4}$/, 'must be 3 or 4 digits'),
  }),
});
export type TokenizeCardRequest = z.infer<typeof tokenizeCardRequestSchema>;
export interface TokenView {
  token: string;
  brand: string;
  last4: string;
}

/** Body of POST /v1/authorizations. `reference` is the shop's (the order id), for the ledger. */
export const authorizeRequestSchema = z.strictObject({
  token: paymentTokenSchema,
  amountCents: z.number().int().min(1).max(1_000_000_000),
  currency: z.string().length(3),
  reference: z.string().min(1).max(200),
});
export type AuthorizeRequest = z.infer<typeof authorizeRequestSchema>;

export type AuthorizationStatus = 'authorized' | 'declined' | 'captured' | 'voided' | 'refunded';
export interface AuthorizationView {
  id: string;
  reference: string;
  status: AuthorizationStatus;
  amountCents: number;
  currency: string;
  /** Set when declined: `card_declined`, `insufficient_funds`. */
  declineCode: string | null;
  declineReason: string | null;
}

/** One row of the ledger: money held, moved or given back. */
export interface LedgerEntry {
  authorizationId: string;
  reference: string;
  kind: 'authorize' | 'capture' | 'void' | 'refund';
  amountCents: number;
  at: string;
}
