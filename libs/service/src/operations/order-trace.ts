import type { TraceEntry } from '@shop/contracts';

/** A service's own hops of an order, from its own tables (besides the outbox rows and dead letters every service has). */
export interface OrderTraceSource {
  traceOf(orderId: string): Promise<TraceEntry[]>;
}

export const ORDER_TRACE_SOURCE = Symbol('ORDER_TRACE_SOURCE');

/** Oldest first; at the same instant, in the order given. */
export function inTimeOrder<T extends { at: string }>(entries: T[]): T[] {
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.at.localeCompare(b.entry.at) || a.index - b.index)
    .map(({ entry }) => entry);
}
