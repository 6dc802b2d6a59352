export interface RequestedLine {
  sku: string;
  quantity: number;
}

export type ReservationDecision = { reserve: true; lines: RequestedLine[] } | { reserve: false; sku: string; reason: string };

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
