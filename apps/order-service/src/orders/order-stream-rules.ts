import type { OrderStatusEvent } from '@shop/contracts';
import { isSettled, progressOf, type SagaState } from './order-saga';

/** Whether one more stream may open, given those open now: the caps as a pure rule. */
export type StreamAdmission = 'admitted' | 'client-cap' | 'total-cap';

export function admitStream(open: { ofClient: number; total: number }, limits: { maxPerClient: number; maxTotal: number }): StreamAdmission {
  if (open.ofClient >= limits.maxPerClient) return 'client-cap';
  if (open.total >= limits.maxTotal) return 'total-cap';
  return 'admitted';
}

const stateOf = (event: OrderStatusEvent): SagaState => ({ status: event.status, payment: event.payment?.status ?? null, stockReleased: event.stockReleased });

/**
 * The stream of an order ends once nothing more will happen to it unless its shopper acts: settled
 * (isSettled: a cancelled order has had its stock given back and its payment undone), or CONFIRMED
 * with its payment captured (or confirmed before orders were paid). A confirmed order may still be cancelled, but only by the page that
 * asks, which opens a new stream for the undoing; an idle stream would hold a place under the
 * streams' caps for as long as the tab stays open.
 */
export const endsStream = (event: OrderStatusEvent): boolean =>
  isSettled(stateOf(event)) ||
  // (payment null: confirmed before orders were paid; nothing more is due for it)
  (event.status === 'CONFIRMED' && (event.payment?.status === 'captured' || event.payment === null));

/** `next` shows the order further on than `last`: ahead in some part (status, money, stock), behind in none. */
function isAhead(next: OrderStatusEvent, last: OrderStatusEvent): boolean {
  const [a, b] = [progressOf(stateOf(next)), progressOf(stateOf(last))];
  return a.every((part, index) => part >= b[index]) && a.some((part, index) => part > b[index]);
}

/**
 * Drops repeats, stale reads (a read can arrive after a live change it predates) and anything after
 * the stream's end.
 */
export function onlyForward(): (event: OrderStatusEvent) => boolean {
  let last: OrderStatusEvent | null = null;
  return (event) => {
    if (last && (endsStream(last) || !isAhead(event, last))) return false;
    last = event;
    return true;
  };
}
