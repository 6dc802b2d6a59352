export interface RequestedLine {
  sku: string;
  quantity: number;
}

export type ReservationDecision = { reserve: true; lines: RequestedLine[] } | { reserve: false; sku: string; reason: string };

/**
 * A decision as inventory records it, once per order: the answer every copy of that order gets.
 * `cancelled` is a tombstone: the order was released (cancelled or rejected) before its
 * order.placed arrived, so that order.placed, whenever it comes, takes nothing and answers nothing.
 */
export type OrderDecision =
  | { outcome: 'reserved'; lines: RequestedLine[]; decidedAt: Date }
  | { outcome: 'rejected'; sku: string; reason: string; decidedAt: Date }
  | { outcome: 'cancelled'; decidedAt: Date };

/** An order's stock given back, once: the lines returned to stock (none for an order that held nothing). */
export interface OrderRelease {
  releasedAt: Date;
  lines: RequestedLine[];
}

/** What inventory recorded about an order: its decision and, once released, its release. */
export interface OrderRecord {
  decision: OrderDecision;
  release?: OrderRelease;
}

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
  const decision = decideReservation(requested, available);
  return {
    decision: decision.reserve
      ? { outcome: 'reserved', lines: decision.lines, decidedAt: now }
      : { outcome: 'rejected', sku: decision.sku, reason: decision.reason, decidedAt: now },
    repeated: false,
  };
}

/**
 * All or nothing: the order is reserved only if every sku has enough units. Lines are merged by
 * sku and taken in sku order, so the first shortfall named is the same whoever computes it.
 */
export function decideReservation(requested: RequestedLine[], available: ReadonlyMap<string, number>): ReservationDecision {
  const merged = new Map<string, number>();
  for (const line of requested) merged.set(line.sku, (merged.get(line.sku) ?? 0) + line.quantity);
  const lines = [...merged].map(([sku, quantity]) => ({ sku, quantity })).sort(bySku);

  for (const line of lines) {
    const units = available.get(line.sku);
    if (units === undefined) return { reserve: false, sku: line.sku, reason: `${line.sku} is not stocked` };
    if (units < line.quantity) {
      return { reserve: false, sku: line.sku, reason: `${line.sku} is out of stock: ${line.quantity} requested, ${units} available` };
    }
  }
  return { reserve: true, lines };
}

/**
 * `repeated`: a copy of an order decided before, answered with that decision;
 * `cancelled-before-reservation`: the order was released before it arrived (a tombstone), it takes nothing and answers nothing.
 */
export type ReservationOutcome = 'reserved' | 'rejected' | 'repeated' | 'cancelled-before-reservation';

/** A reservation of one sku for one order: a row of `reservations`, and units taken from stock. */
export interface ReservationLine extends RequestedLine {
  orderId: string;
}

/** What a batch of order.placed messages does: everything StockService writes and publishes. */
export interface BatchReservation<M> {
  /** Decisions to record: the orders never decided before, each once. */
  decisions: { orderId: string; decision: OrderDecision }[];
  /** Units to take, per order and sku. */
  reservations: ReservationLine[];
  /** One answer per message of an order reserved or rejected (first time or again); none for a tombstone. */
  answers: { message: M; decision: Exclude<OrderDecision, { outcome: 'cancelled' }> }[];
  outcomes: { message: M; outcome: ReservationOutcome }[];
}

/**
 * Decides a batch of placed orders in message order, as if one after the other: each order once
 * (a copy, in this batch or under another message id before, gets the first decision again and
 * takes nothing), all lines or none, against the stock left by the orders before it in the batch.
 */
export function decideBatch<M extends { payload: { orderId: string; lines: RequestedLine[] } }>(
  messages: readonly M[],
  available: ReadonlyMap<string, number>,
  recorded: ReadonlyMap<string, OrderDecision>,
  now: Date,
): BatchReservation<M> {
  const left = new Map(available);
  const decided = new Map(recorded);
  const batch: BatchReservation<M> = { decisions: [], reservations: [], answers: [], outcomes: [] };
  for (const message of messages) {
    const { orderId, lines } = message.payload;
    const { decision, repeated } = decideOrder(lines, left, decided.get(orderId), now);
    if (decision.outcome === 'cancelled') {
      batch.outcomes.push({ message, outcome: 'cancelled-before-reservation' });
      continue;
    }
    batch.answers.push({ message, decision });
    if (repeated) {
      batch.outcomes.push({ message, outcome: 'repeated' });
      continue;
    }
    decided.set(orderId, decision);
    batch.decisions.push({ orderId, decision });
    batch.outcomes.push({ message, outcome: decision.outcome });
    if (decision.outcome !== 'reserved') continue;
    for (const line of decision.lines) {
      left.set(line.sku, left.get(line.sku)! - line.quantity);
      batch.reservations.push({ orderId, ...line });
    }
  }
  return batch;
}

/**
 * `released`: a reserved order's lines given back; `nothing-held`: a rejected order, released with no lines;
 * `cancelled-before-reservation`: an order inventory has not decided yet, tombstoned and released with no lines;
 * `repeated`: an order released before, nothing happens.
 */
export type ReleaseOutcome = 'released' | 'nothing-held' | 'cancelled-before-reservation' | 'repeated';

/** What a batch of release requests (order.rejected, order.cancelled) does: everything StockService writes and publishes. */
export interface BatchRelease<M> {
  /** Tombstones to record for orders not decided yet. */
  tombstones: { orderId: string; decision: Extract<OrderDecision, { outcome: 'cancelled' }> }[];
  /** Releases to record, one per order released for the first time; their lines go back to stock. */
  releases: { orderId: string; release: OrderRelease }[];
  /** One `stock.released` per order, on its first release only: a repeat publishes nothing. */
  answers: { message: M; release: OrderRelease }[];
  outcomes: { message: M; outcome: ReleaseOutcome }[];
}

/**
 * Releases each order of a batch exactly once, whatever inventory decided about it: a reserved
 * order gives back the lines it holds, a rejected (or tombstoned) one gives back nothing, an order
 * not decided yet gets a tombstone so that its late order.placed takes nothing. Only the first
 * release of an order (in this batch or before) is recorded and answered; the others are repeats.
 */
export function decideReleases<M extends { payload: { orderId: string } }>(
  messages: readonly M[],
  recorded: ReadonlyMap<string, OrderRecord>,
  now: Date,
): BatchRelease<M> {
  const records = new Map(recorded);
  const batch: BatchRelease<M> = { tombstones: [], releases: [], answers: [], outcomes: [] };
  for (const message of messages) {
    const { orderId } = message.payload;
    const record = records.get(orderId);
    if (record?.release) {
      batch.outcomes.push({ message, outcome: 'repeated' });
      continue;
    }
    let outcome: ReleaseOutcome;
    let decision: OrderDecision;
    if (!record) {
      decision = { outcome: 'cancelled', decidedAt: now };
      batch.tombstones.push({ orderId, decision });
      outcome = 'cancelled-before-reservation';
    } else {
      decision = record.decision;
      outcome = decision.outcome === 'reserved' ? 'released' : 'nothing-held';
    }
    const release: OrderRelease = { releasedAt: now, lines: decision.outcome === 'reserved' ? decision.lines : [] };
    records.set(orderId, { decision, release });
    batch.releases.push({ orderId, release });
    batch.answers.push({ message, release });
    batch.outcomes.push({ message, outcome });
  }
  return batch;
}

/** What a batch of releases gives back, summed per sku, in sku order (the order stock rows are locked in). */
export function unitsGivenBack(releases: readonly { release: OrderRelease }[]): RequestedLine[] {
  const totals = new Map<string, number>();
  for (const { release } of releases) for (const line of release.lines) totals.set(line.sku, (totals.get(line.sku) ?? 0) + line.quantity);
  return [...totals].map(([sku, quantity]) => ({ sku, quantity })).sort(bySku);
}

const bySku = (a: RequestedLine, b: RequestedLine) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);
