import { CANCELLABLE_STATUSES, type OrderStatus, type PaymentStatus, type QUEUES, type RoutingKeysOf } from '@shop/contracts';

/**
 * The order's saga, in one pure function: what happens to an order next, given where it stands and
 * what just happened (an answer from inventory or payment-service, or the shopper's cancel).
 *
 *   PENDING   ─ stock.reserved ─> RESERVED (order.reserved: payment-service authorizes)
 *   PENDING   ─ stock.rejected ─> REJECTED, cause stock (order.rejected)
 *   RESERVED  ─ payment.authorized ─> CONFIRMED (order.confirmed: payment-service captures)
 *   RESERVED  ─ payment.declined ─> REJECTED, cause payment (order.rejected: inventory gives the stock back)
 *   CONFIRMED ─ payment.captured ─> CONFIRMED, payment captured
 *   PENDING | RESERVED | CONFIRMED ─ cancel ─> CANCELLED (order.cancelled: inventory releases, payment-service voids or refunds)
 *   REJECTED | CANCELLED ─ stock.released ─> stock released
 *   CANCELLED ─ payment.captured | payment.voided | payment.refunded ─> that payment status (never backwards)
 *
 * Anything else changes nothing, and says why: a `repeat` of what the order already shows, a `late`
 * answer for a cancelled order (inventory and payment-service undo it themselves from
 * order.cancelled), a `contradiction` (an answer the order's history rules out: logged as an error and
 * alerted on), an `unknown-order`, or, for a cancel, `not-cancellable` (REJECTED).
 */

/** The answers order-service consumes, by the route table (orders.stock-results and orders.payment-results). */
export type StockResultType = RoutingKeysOf<typeof QUEUES.ordersStockResults>;
export type PaymentResultType = RoutingKeysOf<typeof QUEUES.ordersPaymentResults>;
/** Everything that moves an order: an answer from another service, or the shopper's cancel. */
export type SagaEventType = StockResultType | PaymentResultType | 'cancel';
export const SAGA_EVENT_TYPES = [
  'stock.reserved',
  'stock.rejected',
  'stock.released',
  'payment.authorized',
  'payment.declined',
  'payment.captured',
  'payment.voided',
  'payment.refunded',
  'cancel',
] as const satisfies readonly SagaEventType[];

export interface SagaEvent {
  type: SagaEventType;
  /** Inventory's or the provider's words (stock.rejected, payment.declined), or the shopper's (cancel). */
  reason?: string | null;
}

/** What the saga reads of an order. */
export interface SagaState {
  status: OrderStatus;
  payment: PaymentStatus | null;
  stockReleased: boolean;
}

/** The lifecycle events order-service publishes. */
export type LifecycleEventType = 'order.reserved' | 'order.confirmed' | 'order.rejected' | 'order.cancelled';
export type RejectionCause = 'stock' | 'payment';

/** A step that changes the order: the fields that change, and the lifecycle events to publish with it. */
export interface SagaChange {
  status?: OrderStatus;
  /** The status reason, with a new status. */
  reason?: string | null;
  /** Why REJECTED, with order.rejected. */
  cause?: RejectionCause;
  payment?: PaymentStatus;
  paymentReason?: string | null;
  stockReleased?: true;
  publish: LifecycleEventType[];
}
export const IGNORED_REASONS = ['repeat', 'late', 'contradiction', 'unknown-order', 'not-cancellable'] as const;
export type IgnoredReason = (typeof IGNORED_REASONS)[number];
export type SagaStep = SagaChange | { ignored: IgnoredReason };

export const isIgnored = (step: SagaStep): step is { ignored: IgnoredReason } => 'ignored' in step;

/** Where the money stands, in the order it moves: a later status never gives way to an earlier one. */
const PAYMENT_PROGRESS: Record<PaymentStatus, number> = { authorized: 1, declined: 1, captured: 2, voided: 3, refunded: 3 };
const STATUS_PROGRESS: Record<OrderStatus, number> = { PENDING: 0, RESERVED: 1, CONFIRMED: 2, REJECTED: 3, CANCELLED: 3 };
const paymentProgress = (payment: PaymentStatus | null) => (payment ? PAYMENT_PROGRESS[payment] : 0);

export const isCancellable = (status: OrderStatus): boolean => CANCELLABLE_STATUSES.includes(status);
/** The provider holds or has taken the shopper's money (what order.cancelled calls `paymentHeld`). */
export const paymentHeld = (payment: PaymentStatus | null): boolean => payment === 'authorized' || payment === 'captured';

/**
 * Nothing more will happen to the order: it is REJECTED or CANCELLED, inventory gave its stock back
 * and no money is held. (A CONFIRMED order is not settled: its shopper may still cancel it.)
 */
export const isSettled = (order: SagaState): boolean =>
  (order.status === 'REJECTED' || order.status === 'CANCELLED') && order.stockReleased && !paymentHeld(order.payment);

/** How far the order has come, per part; a read of an order is behind another when any part is behind. */
export const progressOf = (order: SagaState): [number, number, number] => [
  STATUS_PROGRESS[order.status],
  paymentProgress(order.payment),
  order.stockReleased ? 1 : 0,
];

const ignored = (reason: IgnoredReason): SagaStep => ({ ignored: reason });

/** What happens to `order` (null: no such order) on `event`. */
export function nextStep(order: SagaState | null, event: SagaEvent): SagaStep {
  if (!order) return ignored('unknown-order');
  const { status, payment } = order;
  switch (event.type) {
    case 'cancel':
      if (isCancellable(status)) {
        return {
          status: 'CANCELLED',
          reason: event.reason ? `cancelled by the shopper: ${event.reason}` : 'cancelled by the shopper',
          publish: ['order.cancelled'],
        };
      }
      return ignored(status === 'CANCELLED' ? 'repeat' : 'not-cancellable');

    case 'stock.reserved':
      if (status === 'PENDING') return { status: 'RESERVED', reason: null, publish: ['order.reserved'] };
      if (status === 'CANCELLED') return ignored('late');
      // Reserved earlier: RESERVED and CONFIRMED, and REJECTED for its payment; a stock rejection ruled it out.
      return ignored(status === 'REJECTED' && payment !== 'declined' ? 'contradiction' : 'repeat');

    case 'stock.rejected':
      if (status === 'PENDING') {
        return { status: 'REJECTED', reason: event.reason ?? 'the stock could not be reserved', cause: 'stock', publish: ['order.rejected'] };
      }
      if (status === 'CANCELLED') return ignored('late');
      return ignored(status === 'REJECTED' && payment === null ? 'repeat' : 'contradiction');

    case 'stock.released':
      // Inventory releases only on order.rejected or order.cancelled, both published with that status.
      if (status !== 'REJECTED' && status !== 'CANCELLED') return ignored('contradiction');
      return order.stockReleased ? ignored('repeat') : { stockReleased: true, publish: [] };

    case 'payment.authorized':
      // payment-service authorizes only on order.reserved.
      if (status === 'RESERVED') return { status: 'CONFIRMED', reason: null, payment: 'authorized', paymentReason: null, publish: ['order.confirmed'] };
      if (status === 'CANCELLED') return ignored('late');
      return ignored(status === 'CONFIRMED' ? 'repeat' : 'contradiction');

    case 'payment.declined': {
      if (status === 'RESERVED') {
        const providerReason = event.reason ?? 'the payment provider gave no reason';
        return {
          status: 'REJECTED',
          reason: `payment declined: ${providerReason}`,
          cause: 'payment',
          payment: 'declined',
          paymentReason: providerReason,
          publish: ['order.rejected'],
        };
      }
      if (status === 'CANCELLED') return ignored('late');
      return ignored(status === 'REJECTED' && payment === 'declined' ? 'repeat' : 'contradiction');
    }

    case 'payment.captured':
      // payment-service captures only on order.confirmed: the order was CONFIRMED, with its payment authorized.
      if (payment === 'authorized' && (status === 'CONFIRMED' || status === 'CANCELLED')) return { payment: 'captured', publish: [] };
      if (payment === 'captured') return ignored('repeat');
      if (payment === 'refunded') return ignored('late');
      return ignored('contradiction');

    case 'payment.voided':
    case 'payment.refunded': {
      // payment-service voids or refunds only on order.cancelled.
      const outcome = event.type === 'payment.voided' ? 'voided' : 'refunded';
      if (status !== 'CANCELLED') return ignored('contradiction');
      if (payment === outcome) return ignored('repeat');
      // A void after a capture, or a refund after a void: the provider cannot have done both.
      if (paymentProgress(payment) >= 3 || (outcome === 'voided' && payment === 'captured')) return ignored('contradiction');
      return { payment: outcome, publish: [] };
    }
  }
}
