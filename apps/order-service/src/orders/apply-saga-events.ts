import type { OrderStatus } from '@shop/contracts';
import {
  isIgnored,
  nextStep,
  paymentHeld,
  type IgnoredReason,
  type LifecycleEventType,
  type RejectionCause,
  type SagaEvent,
  type SagaState,
} from './order-saga';

/** An order as the saga's application reads and writes it: the saga's state and the words that go with it. */
export interface SagaOrder extends SagaState {
  statusReason: string | null;
  paymentReason: string | null;
}

/** One event for one order (a consumed message, or the shopper's cancel). */
export interface OrderSagaEvent extends SagaEvent {
  orderId: string;
}

/** A lifecycle event to publish, with what the saga knew when it decided (the outbox row carries it). */
export interface Publication {
  orderId: string;
  type: LifecycleEventType;
  /** order.rejected: stock or payment. */
  cause?: RejectionCause;
  /** order.rejected: the status reason. */
  reason?: string;
  /** order.cancelled: the status the shopper cancelled from, and whether money was held then. */
  previousStatus?: 'PENDING' | 'RESERVED' | 'CONFIRMED';
  paymentHeld?: boolean;
}

export interface Ignored<E> {
  event: E;
  reason: IgnoredReason;
  /** The order's status when the event came (null: unknown order). */
  status: OrderStatus | null;
}

export interface SagaOutcome<E> {
  /** Each changed order's state after every event of the batch. */
  changes: Map<string, SagaOrder>;
  /** In the order of the events that caused them. */
  publish: Publication[];
  ignored: Ignored<E>[];
}

/**
 * Runs the saga over a batch of events, in their order, for orders read (and locked) beforehand: a
 * later event of the batch sees what an earlier one did. Pure; the caller writes the changes and the
 * outbox rows in the transaction that locked the orders.
 */
export function applySagaEvents<E extends OrderSagaEvent>(orders: ReadonlyMap<string, SagaOrder>, events: readonly E[]): SagaOutcome<E> {
  const current = new Map(orders);
  const changes = new Map<string, SagaOrder>();
  const publish: Publication[] = [];
  const ignored: Ignored<E>[] = [];
  for (const event of events) {
    const before = current.get(event.orderId) ?? null;
    const step = nextStep(before, event);
    if (isIgnored(step) || !before) {
      ignored.push({ event, reason: isIgnored(step) ? step.ignored : 'unknown-order', status: before?.status ?? null });
      continue;
    }
    const after: SagaOrder = {
      status: step.status ?? before.status,
      statusReason: step.status ? (step.reason ?? null) : before.statusReason,
      payment: step.payment ?? before.payment,
      paymentReason: step.payment ? (step.paymentReason ?? null) : before.paymentReason,
      stockReleased: step.stockReleased ?? before.stockReleased,
    };
    current.set(event.orderId, after);
    changes.set(event.orderId, after);
    for (const type of step.publish) {
      const publication: Publication = { orderId: event.orderId, type };
      if (type === 'order.rejected') Object.assign(publication, { cause: step.cause, reason: after.statusReason ?? undefined });
      if (type === 'order.cancelled') {
        Object.assign(publication, { previousStatus: before.status as Publication['previousStatus'], paymentHeld: paymentHeld(before.payment) });
      }
      publish.push(publication);
    }
  }
  return { changes, publish, ignored };
}
