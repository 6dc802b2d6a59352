import type { OrderStatusEvent } from '@shop/contracts';
import { isFinal } from './order-status';

/** Whether one more stream may open, given those open now: the caps as a pure rule. */
export type StreamAdmission = 'admitted' | 'client-cap' | 'total-cap';

export function admitStream(open: { ofClient: number; total: number }, limits: { maxPerClient: number; maxTotal: number }): StreamAdmission {
  if (open.ofClient >= limits.maxPerClient) return 'client-cap';
  if (open.total >= limits.maxTotal) return 'total-cap';
  return 'admitted';
}

/** Drops repeats and anything after a final status (a stale read can arrive after a live change). */
export function onlyForward(): (event: OrderStatusEvent) => boolean {
  let last: OrderStatusEvent | null = null;
  return (event) => {
    if (last && (isFinal(last.status) || last.status === event.status)) return false;
    last = event;
    return true;
  };
}
