import { CONSUMERS, QUEUES, ROUTING_KEYS, TOPOLOGY, type LedgerEntry, type QueueSpec } from '@shop/contracts';
import type { AppService, Database, SystemDriver } from './driver';

/**
 * What the check found. `lost` and `appliedTwice` list order ids with the evidence; `violations`
 * lists every other broken invariant. A clean run has all three empty.
 */
export interface PromiseReport {
  accepted: number;
  confirmed: number;
  rejected: number;
  cancelled: number;
  lost: string[];
  appliedTwice: string[];
  violations: string[];
  /** Longest time from an accepted order's creation to its final status (database clock). */
  maxSecondsToFinal: number;
}

interface Line {
  sku: string;
  quantity: number;
}

/** The queues of the services this system runs (notification-service's only where a scenario runs it, so only there declared). */
const queuesOf = (system: SystemDriver): QueueSpec[] =>
  TOPOLOGY.queues.filter((queue) => system.instances((CONSUMERS as Record<string, AppService>)[queue.name]) > 0);
export const deadLetterQueues = (system: SystemDriver): string[] => queuesOf(system).map((queue) => `${queue.name}.dlq`);
// Named as libs/messaging names them, for the delays of this run (RETRY_DELAYS_MS is left at its default).
export const workQueues = (system: SystemDriver): string[] =>
  queuesOf(system).flatMap((queue) => [queue.name, ...queue.retryDelaysMs.map((ms) => `${queue.name}.retry.${ms / 1000}s`)]);

/** An order's final statuses: every accepted order ends in exactly one of them. */
const FINAL_STATUSES = ['CONFIRMED', 'REJECTED', 'CANCELLED'];

/**
 * The promise, checked from SQL, the broker and the payment provider's ledger (never from logs):
 * waits until every accepted order is final and nothing is left in flight (outboxes published,
 * queues empty), then compares what the databases hold, and the money the provider moved.
 */
export async function checkPromise(
  system: SystemDriver,
  acceptedIds: string[],
  initialStock: Map<string, number>,
  settleTimeoutMs: number,
): Promise<PromiseReport> {
  const violations: string[] = [];
  const settled = await waitUntilSettled(system, acceptedIds, settleTimeoutMs);
  if (settled !== true) violations.push(`the system did not settle within ${settleTimeoutMs / 1000} s: ${settled}`);

  const orders = system.sql('orders');
  const inventory = system.sql('inventory');
  const [orderRows, lineRows, placedRows, resultInbox, reservationRows, stockRows, decisionRows, placementInbox, releaseRows] = await Promise.all([
    rows<{ id: string; status: string; idempotency_key: string; total_cents: number; seconds: number }>(
      orders,
      `SELECT id, status, idempotency_key, total_cents, EXTRACT(EPOCH FROM updated_at - created_at)::float8 AS seconds FROM orders`,
    ),
    rows<Line & { order_id: string }>(orders, `SELECT order_id, sku, quantity FROM order_lines`),
    rows<{ id: string; order_id: string }>(orders, `SELECT id, payload->>'orderId' AS order_id FROM outbox WHERE routing_key = $1`, [ROUTING_KEYS.orderPlaced]),
    rows<{ message_id: string }>(orders, `SELECT message_id FROM inbox WHERE consumer = $1`, [QUEUES.ordersStockResults]),
    rows<Line & { order_id: string }>(inventory, `SELECT order_id, sku, quantity FROM reservations`),
    rows<{ sku: string; available: number }>(inventory, `SELECT sku, available FROM stock`),
    rows<{ id: string; routing_key: string; order_id: string }>(
      inventory,
      `SELECT id, routing_key, payload->>'orderId' AS order_id FROM outbox WHERE routing_key IN ($1, $2)`,
      [ROUTING_KEYS.stockReserved, ROUTING_KEYS.stockRejected],
    ),
    rows<{ message_id: string }>(inventory, `SELECT message_id FROM inbox WHERE consumer = $1`, [QUEUES.inventoryOrderPlaced]),
    rows<{ order_id: string; lines: Line[] }>(
      inventory,
      `SELECT payload->>'orderId' AS order_id, payload->'lines' AS lines FROM outbox WHERE routing_key = $1`,
      [ROUTING_KEYS.stockReleased],
    ),
  ]);

  const ordersById = new Map(orderRows.map((row) => [row.id, row]));
  const linesByOrder = groupBy(lineRows, (row) => row.order_id);
  const reservationsByOrder = groupBy(reservationRows, (row) => row.order_id);
  const placedByOrder = countBy(placedRows, (row) => row.order_id);
  const orderOfPlacement = new Map(placedRows.map((row) => [row.id, row.order_id]));
  const placementsHandled = countBy(placementInbox, (row) => orderOfPlacement.get(row.message_id) ?? `unknown message ${row.message_id}`);
  const decisionsByOrder = groupBy(decisionRows, (row) => row.order_id);
  const orderOfDecision = new Map(decisionRows.map((row) => [row.id, row.order_id]));
  const resultsApplied = countBy(resultInbox, (row) => orderOfDecision.get(row.message_id) ?? `unknown message ${row.message_id}`);
  const releasesByOrder = countBy(releaseRows, (row) => row.order_id);

  const lost: string[] = [];
  const appliedTwice: string[] = [];
  let confirmed = 0;
  let rejected = 0;
  let cancelled = 0;
  let maxSecondsToFinal = 0;
  for (const id of acceptedIds) {
    const order = ordersById.get(id);
    if (!order) {
      lost.push(`${id}: got a 201 but is not in the orders table`);
      continue;
    }
    if (!FINAL_STATUSES.includes(order.status)) {
      lost.push(
        `${id}: still ${order.status} (order.placed published: ${placedRows.some((row) => row.order_id === id)}, handled by inventory: ${placementsHandled.get(id) ?? 0}, decisions: ${decisionsByOrder.get(id)?.length ?? 0})`,
      );
      continue;
    }
    if (order.status === 'CONFIRMED') confirmed++;
    else if (order.status === 'REJECTED') rejected++;
    else cancelled++;
    maxSecondsToFinal = Math.max(maxSecondsToFinal, order.seconds);

    const twice = [
      [placedByOrder.get(id) ?? 0, 'order.placed messages written'],
      [placementsHandled.get(id) ?? 0, 'order.placed messages handled by inventory'],
      [decisionsByOrder.get(id)?.length ?? 0, 'stock decisions made'],
      [resultsApplied.get(id) ?? 0, 'stock results applied'],
      [releasesByOrder.get(id) ?? 0, 'stock releases made'],
    ].filter(([count]) => (count as number) > 1);
    if (twice.length > 0) appliedTwice.push(`${id}: ${twice.map(([count, what]) => `${count} ${what}`).join(', ')}`);

    // CONFIRMED: reserved and kept. REJECTED: refused, or reserved and given back (payment declined).
    // CANCELLED: whatever inventory decided, or nothing (a tombstone), and given back.
    const decision = decisionsByOrder.get(id)?.[0]?.routing_key;
    const allowed: (string | undefined)[] =
      order.status === 'CONFIRMED'
        ? [ROUTING_KEYS.stockReserved]
        : order.status === 'REJECTED'
          ? [ROUTING_KEYS.stockRejected, ROUTING_KEYS.stockReserved]
          : [ROUTING_KEYS.stockRejected, ROUTING_KEYS.stockReserved, undefined];
    if (!allowed.includes(decision)) violations.push(`${id}: ${order.status} but inventory decided ${decision ?? 'nothing'}`);
    if (order.status === 'CONFIRMED' && releasesByOrder.has(id)) violations.push(`${id}: CONFIRMED but inventory released its stock`);
    const reserved = describeLines(reservationsByOrder.get(id) ?? []);
    const wanted = order.status === 'CONFIRMED' ? describeLines(linesByOrder.get(id) ?? []) : '';
    if (reserved !== wanted) violations.push(`${id}: ${order.status} with reservations [${reserved}], expected [${wanted}]`);
  }

  // An order row the client never got a 201 for, under a key it did get one for, is the same request stored twice.
  const acceptedKeys = new Set(acceptedIds.map((id) => ordersById.get(id)?.idempotency_key));
  const accepted = new Set(acceptedIds);
  for (const order of orderRows) {
    if (!accepted.has(order.id) && acceptedKeys.has(order.idempotency_key))
      appliedTwice.push(`${order.id}: a second order for Idempotency-Key ${order.idempotency_key}`);
  }
  for (const orderId of reservationsByOrder.keys()) {
    if (ordersById.get(orderId)?.status !== 'CONFIRMED')
      violations.push(`${orderId}: stock reserved for an order that is not CONFIRMED (${ordersById.get(orderId)?.status ?? 'unknown order'})`);
  }

  // Stock: what was there = what is left + what confirmed orders hold (a cancelled or rejected order's was given back).
  const held = new Map<string, number>();
  for (const row of reservationRows) {
    if (ordersById.get(row.order_id)?.status === 'CONFIRMED') held.set(row.sku, (held.get(row.sku) ?? 0) + row.quantity);
  }
  for (const { sku, available } of stockRows) {
    const initial = initialStock.get(sku);
    if (initial !== available + (held.get(sku) ?? 0))
      violations.push(`stock of ${sku}: initial ${initial}, now ${available} available + ${held.get(sku) ?? 0} reserved by confirmed orders`);
  }

  // Ordering: with several consumers, two orders for the last units may be decided in either
  // order, but an order is only refused when its sku was short at its decision. Stock goes down
  // during a scenario, and up only by releases, so a refusal for a sku that still has enough left
  // now, releases not counted, is a wrong one.
  const released = new Map<string, number>();
  for (const line of releaseRows.flatMap((row) => row.lines ?? [])) released.set(line.sku, (released.get(line.sku) ?? 0) + line.quantity);
  const left = new Map(stockRows.map((row) => [row.sku, row.available - (released.get(row.sku) ?? 0)]));
  const refusals = await rows<{ order_id: string; sku: string | null }>(inventory, `SELECT order_id, sku FROM order_decisions WHERE outcome = 'rejected'`);
  for (const { order_id, sku } of refusals) {
    const wanted = (linesByOrder.get(order_id) ?? []).filter((line) => line.sku === sku).reduce((sum, line) => sum + line.quantity, 0);
    if (sku && wanted > 0 && (left.get(sku) ?? 0) >= wanted)
      violations.push(`${order_id}: refused for ${sku} (wanted ${wanted}) although ${left.get(sku)} are still available, releases aside`);
  }

  const shopDatabases = databasesOf(system);
  for (const database of shopDatabases) {
    const pool = system.sql(database);
    const [{ duplicates }] = await rows<{ duplicates: number }>(
      pool,
      `SELECT (count(*) - count(DISTINCT (consumer, message_id)))::int AS duplicates FROM inbox`,
    );
    if (duplicates > 0) violations.push(`${database} inbox: ${duplicates} duplicate rows`);
  }
  for (const [queue, messages] of await queueDepths(system, deadLetterQueues(system))) {
    if (messages > 0) violations.push(`dead-letter queue ${queue} holds ${messages} messages`);
  }
  // Each service takes its dead-letter queues into its database: an open dead letter there is one too.
  for (const database of shopDatabases) {
    for (const { queue, count } of await rows<{ queue: string; count: number }>(
      system.sql(database),
      `SELECT queue, count(*)::int AS count FROM dead_letters WHERE status = 'open' GROUP BY queue`,
    )) {
      violations.push(`${database} database keeps ${count} open dead letters of ${queue}`);
    }
  }

  if (system.instances('payment-provider') > 0) {
    const final = orderRows.filter((order) => FINAL_STATUSES.includes(order.status));
    violations.push(
      ...(await checkMoney(system, new Map(final.map((order) => [order.id, { status: order.status, totalCents: order.total_cents }])), settleTimeoutMs)),
    );
  }

  return {
    accepted: acceptedIds.length,
    confirmed,
    rejected,
    cancelled,
    lost,
    appliedTwice,
    violations,
    maxSecondsToFinal: Math.round(maxSecondsToFinal * 10) / 10,
  };
}

/** The shop's databases this system runs, each with an outbox, an inbox and dead letters (notifications only where run). */
function databasesOf(system: SystemDriver): Database[] {
  const owners: [Database, AppService][] = [
    ['orders', 'order-service'],
    ['inventory', 'inventory-service'],
    ['payments', 'payment-service'],
  ];
  return owners.filter(([, service]) => system.instances(service) > 0).map(([database]) => database);
}

/** Every movement the payment provider stand-in recorded, oldest first, through its API (GET /v1/ledger, paged). */
export async function readLedger(system: SystemDriver): Promise<LedgerEntry[]> {
  const key = await system.providerApiKey();
  const entries: LedgerEntry[] = [];
  const PAGE = 1_000;
  for (let offset = 0; ; offset += PAGE) {
    const response = await fetch(`${system.url('payment-provider')}/v1/ledger?limit=${PAGE}&offset=${offset}`, {
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`GET /v1/ledger answered ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as LedgerEntry[];
    entries.push(...page);
    if (page.length < PAGE) return entries;
  }
}

/**
 * The money, from the provider's ledger, for each final order (by its id, the ledger's reference):
 * authorized at most once; captured, voided and refunded at most once each; captured − refunded =
 * the order's total if it is CONFIRMED, else 0; a capture only for an order CONFIRMED (or CANCELLED
 * after it was); no hold left on an order that is not CONFIRMED (voided, or captured and refunded);
 * no money moved for an order the shop does not have. A capture or a void may still be on its way
 * when the queues look empty (a delivery in a consumer's hands is not counted), so the ledger is
 * read again until it agrees or `timeoutMs` passes; the violations of the last reading are returned.
 */
export async function checkMoney(system: SystemDriver, orders: Map<string, { status: string; totalCents: number }>, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + Math.min(timeoutMs, 60_000);
  for (;;) {
    let violations: string[];
    try {
      violations = moneyViolations(await readLedger(system), orders);
    } catch (err) {
      violations = [`money: cannot read the provider's ledger: ${(err as Error).message}`];
    }
    if (violations.length === 0 || Date.now() > deadline) return violations;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

/** The rules of checkMoney over one reading of the ledger. */
export function moneyViolations(ledger: LedgerEntry[], orders: Map<string, { status: string; totalCents: number }>): string[] {
  const violations: string[] = [];
  const byOrder = groupBy(ledger, (entry) => entry.reference);
  for (const [reference, entries] of byOrder) {
    if (!orders.has(reference)) violations.push(`money: ${entries.length} ledger entries for ${reference}, which is no final order of the shop`);
  }
  for (const [id, order] of orders) {
    const entries = byOrder.get(id) ?? [];
    const of = (kind: LedgerEntry['kind']) => entries.filter((entry) => entry.kind === kind);
    const sum = (kind: LedgerEntry['kind']) => of(kind).reduce((total, entry) => total + entry.amountCents, 0);
    const say = (problem: string) => violations.push(`money: ${id} (${order.status}, total ${order.totalCents}): ${problem}`);
    for (const kind of ['authorize', 'capture', 'void', 'refund'] as const) {
      if (of(kind).length > 1) say(`${of(kind).length} ${kind} entries`);
    }
    const kept = sum('capture') - sum('refund');
    const expected = order.status === 'CONFIRMED' ? order.totalCents : 0;
    if (kept !== expected) say(`captured ${sum('capture')} - refunded ${sum('refund')} = ${kept}, expected ${expected}`);
    if (of('capture').length > 0 && order.status !== 'CONFIRMED' && order.status !== 'CANCELLED') say('captured, but the order was never confirmed');
    if (of('capture').length + of('void').length > 0 && of('authorize').length === 0) say('captured or voided without an authorization');
    if (order.status !== 'CONFIRMED' && of('authorize').length > 0 && of('void').length === 0 && of('capture').length === 0)
      say('its authorization still holds the money (neither voided nor captured and refunded)');
  }
  return violations;
}

/** True once every accepted order is final, both outboxes are published and every work queue is empty; else what is still open. */
async function waitUntilSettled(system: SystemDriver, acceptedIds: string[], timeoutMs: number): Promise<true | string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let open: string;
    try {
      open = await openWork(system, acceptedIds);
    } catch (err) {
      open = `cannot look: ${(err as Error).message}`;
    }
    if (open === '') return true;
    if (Date.now() > deadline) return open;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

async function openWork(system: SystemDriver, acceptedIds: string[]): Promise<string> {
  const [[{ pending }], unpublished, depths] = await Promise.all([
    rows<{ pending: number }>(
      system.sql('orders'),
      `SELECT $2::int - count(*)::int AS pending FROM orders WHERE id = ANY($1::uuid[]) AND status = ANY($3::text[])`,
      [acceptedIds, acceptedIds.length, FINAL_STATUSES],
    ),
    Promise.all(
      databasesOf(system).map(async (database) => {
        const [{ count }] = await rows<{ count: number }>(system.sql(database), `SELECT count(*)::int AS count FROM outbox WHERE published_at IS NULL`);
        return [database, count] as const;
      }),
    ),
    queueDepths(system, workQueues(system)),
  ]);
  const open = [
    pending > 0 ? `${pending} accepted orders not final` : '',
    ...unpublished.filter(([, count]) => count > 0).map(([database, count]) => `${count} unpublished in the ${database} outbox`),
    ...[...depths].filter(([, messages]) => messages > 0).map(([queue, messages]) => `${messages} messages in ${queue}`),
  ];
  return open.filter(Boolean).join(', ');
}

/** Ready messages per queue, from the broker (`checkQueue` on a fresh channel). */
export async function queueDepths(system: SystemDriver, queues: string[]): Promise<Map<string, number>> {
  const connection = await system.amqp();
  try {
    const channel = await connection.createChannel();
    const depths = new Map<string, number>();
    for (const queue of queues) depths.set(queue, (await channel.checkQueue(queue)).messageCount);
    return depths;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function rows<T>(pool: ReturnType<SystemDriver['sql']>, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await pool.query(sql, params)).rows as T[];
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

const describeLines = (lines: Line[]) =>
  lines
    .map((line) => `${line.sku}x${line.quantity}`)
    .sort()
    .join(' ');
