/**
 * Where an order's payment stands: the status of its payments row. `authorizing`: an authorization
 * was asked for and its answer never came (a timeout): it may hold money at the provider.
 */
export type PaymentStatus = 'authorizing' | 'authorized' | 'declined' | 'captured' | 'voided' | 'refunded' | 'cancelled-before-authorization';

/** The order events payment-service acts on (the `payments.order-payments` queue). */
export type OrderPaymentEvent = 'order.reserved' | 'order.confirmed' | 'order.cancelled';

/**
 * Why an event changed nothing: `repeat` (its effect is already there: a second copy of the order's
 * event), `after-cancel` (the order was cancelled first: a late reserved or confirmed charges nothing),
 * `nothing-held` (the payment was declined: there is nothing to capture or give back), `contradiction`
 * (confirmed although declined: order-service never does that; logged as an error).
 */
export const IGNORED_REASONS = ['repeat', 'after-cancel', 'nothing-held', 'contradiction'] as const;
export type IgnoredReason = (typeof IGNORED_REASONS)[number];

export type PaymentStep =
  | { action: 'authorize' }
  | { action: 'capture' }
  | { action: 'void' }
  | { action: 'refund' }
  /** Cancelled while an authorization's outcome is unknown: ask again with the same key, then release whatever it holds. */
  | { action: 'resolve-then-void' }
  /** Cancelled before any authorization: remember it, so a late order.reserved charges nothing. */
  | { action: 'tombstone' }
  /** order.confirmed without a payment: it follows payment.authorized, so this is out of order; retried (counted). */
  | { action: 'missing-payment' }
  | { action: 'ignore'; reason: IgnoredReason };

const ignore = (reason: IgnoredReason): PaymentStep => ({ action: 'ignore', reason });

/**
 * What payment-service does with an order event, given the order's payment (`null`: none yet). Each
 * money movement happens once per order, whatever order the messages arrive in: an authorization
 * only for an order never seen (a cancel seen first leaves a tombstone) or asked again with the same
 * key, a capture only of an authorized payment, a void of an authorized one (or of one whose answer
 * never came, once asked again) and a refund of a captured one.
 */
export function nextPaymentStep(event: OrderPaymentEvent, status: PaymentStatus | null): PaymentStep {
  switch (event) {
    case 'order.reserved':
      // `authorizing`: the retry of an authorization whose answer never came, with the same key.
      if (status === null || status === 'authorizing') return { action: 'authorize' };
      return ignore(status === 'voided' || status === 'refunded' || status === 'cancelled-before-authorization' ? 'after-cancel' : 'repeat');
    case 'order.confirmed':
      switch (status) {
        case null:
        case 'authorizing':
          return { action: 'missing-payment' };
        case 'authorized':
          return { action: 'capture' };
        case 'captured':
          return ignore('repeat');
        case 'declined':
          return ignore('contradiction');
        case 'voided':
        case 'refunded':
        case 'cancelled-before-authorization':
          return ignore('after-cancel');
      }
      break;
    case 'order.cancelled':
      switch (status) {
        case null:
          return { action: 'tombstone' };
        case 'authorizing':
          return { action: 'resolve-then-void' };
        case 'authorized':
          return { action: 'void' };
        case 'captured':
          return { action: 'refund' };
        case 'declined':
          return ignore('nothing-held');
        case 'voided':
        case 'refunded':
        case 'cancelled-before-authorization':
          return ignore('repeat');
      }
  }
}
