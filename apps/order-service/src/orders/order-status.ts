import { ROUTING_KEYS, type OrderStatus, type QUEUES, type RoutingKeysOf } from '@shop/contracts';

/** The events of the order service's stock-results queue, by the route table. */
export type StockResultType = RoutingKeysOf<typeof QUEUES.ordersStockResults>;

/**
 * The order state machine, in one table: the status an event moves an order to, by current status.
 * Anything not in the table (a late duplicate, an event for a final order) is a logged no-op.
 */
const TRANSITIONS: Record<OrderStatus, Partial<Record<StockResultType, OrderStatus>>> = {
  PENDING: {
    [ROUTING_KEYS.stockReserved]: 'CONFIRMED',
    [ROUTING_KEYS.stockRejected]: 'REJECTED',
  },
  CONFIRMED: {},
  REJECTED: {},
};

/** The next status, or null when the event does not apply to an order in `current`. */
export function nextStatus(current: OrderStatus, event: StockResultType): OrderStatus | null {
  return TRANSITIONS[current][event] ?? null;
}

export const isFinal = (status: OrderStatus): boolean => Object.keys(TRANSITIONS[status]).length === 0;

/**
 * True when the event says the opposite of the order's final status (`stock.rejected` for a
 * CONFIRMED order): inventory answered the order twice, differently. Still a no-op, but one an
 * operator must see; the same answer again (`stock.reserved` for a CONFIRMED order) is not.
 */
export function contradicts(current: OrderStatus, event: StockResultType): boolean {
  return isFinal(current) && TRANSITIONS.PENDING[event] !== current;
}
