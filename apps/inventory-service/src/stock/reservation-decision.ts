export interface RequestedLine {
  sku: string;
  quantity: number;
}

export type ReservationDecision = { reserve: true; lines: RequestedLine[] } | { reserve: false; sku: string; reason: string };

/** A decision as inventory records it, once per order: the answer every copy of that order gets. */
export type OrderDecision = ReservationDecision & { decidedAt: Date };

/**
 * Decides an order once: an order decided before (under any message id) gets that decision again,
 * whatever the stock is now, so a copy can never reserve twice nor contradict the first answer;
 * only an order never seen is weighed against the stock, and `now` becomes its decision time.
 */
export function decideOrder(
  requested: RequestedLine[],
  available: ReadonlyMap<string, number>,
  recorded: OrderDecision | undefined,
  now: Date,
): { decision: OrderDecision; repeated: boolean } {
  if (recorded) return { decision: recorded, repeated: true };
  return { decision: { ...decideReservation(requested, available), decidedAt: now }, repeated: false };
}

/**
 * All or nothing: the order is reserved only if every sku has enough units. Lines are merged by
 * sku and taken in sku order, so the first shortfall named is the same whoever computes it.
 */
export function decideReservation(requested: RequestedLine[], available: ReadonlyMap<string, number>): ReservationDecision {
  const merged = new Map<string, number>();
  for (const line of requested) merged.set(line.sku, (merged.get(line.sku) ?? 0) + line.quantity);
  const lines = [...merged].map(([sku, quantity]) => ({ sku, quantity })).sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));

  for (const line of lines) {
    const units = available.get(line.sku);
    if (units === undefined) return { reserve: false, sku: line.sku, reason: `${line.sku} is not stocked` };
    if (units < line.quantity) {
      return { reserve: false, sku: line.sku, reason: `${line.sku} is out of stock: ${line.quantity} requested, ${units} available` };
    }
  }
  return { reserve: true, lines };
}
