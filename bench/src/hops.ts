import type { Pool } from 'pg';
import { round } from './load';
import { outboxRowOf } from './shop';

/** Median and 99th percentile of each hop, in ms. */
export type Hops = Record<string, { p50: number; p99: number }>;

/**
 * Where the time from POST to CONFIRMED goes, per hop, from the timestamps both databases keep
 * (each is its transaction's start): intake commit → order relay claims the row → inventory's
 * transaction starts → inventory relay claims the answer → order-service applies it (the order
 * RESERVED, its order.reserved written) → payment authorized and the order CONFIRMED.
 */
export async function measureHops(ordersDb: Pool, inventoryDb: Pool, email: string): Promise<Hops> {
  const { rows: orders } = await ordersDb.query<{
    id: string;
    message_id: string;
    created_at: Date;
    published_at: Date;
    reserved_at: Date | null;
    updated_at: Date;
  }>(
    `SELECT o.id, m.id AS message_id, o.created_at, m.published_at, r.created_at AS reserved_at, coalesce(f.created_at, o.updated_at) AS updated_at
     FROM orders o JOIN outbox m ON ${outboxRowOf('o', 'm')} AND m.routing_key = 'order.placed'
     LEFT JOIN outbox r ON ${outboxRowOf('o', 'r')} AND r.routing_key = 'order.reserved'
     -- The final status's own event: the capture after a confirmation updates the order again.
     LEFT JOIN outbox f ON ${outboxRowOf('o', 'f')} AND f.routing_key IN ('order.confirmed', 'order.rejected')
     WHERE o.customer_email = $1 AND o.status NOT IN ('PENDING', 'RESERVED')`,
    [email],
  );
  const inbox = new Map(
    (
      await inventoryDb.query<{ message_id: string; processed_at: Date }>(`SELECT message_id, processed_at FROM inbox WHERE message_id = ANY($1::text[])`, [
        orders.map((order) => order.message_id),
      ])
    ).rows.map((row) => [row.message_id, row.processed_at]),
  );
  const answered = new Map(
    (
      await inventoryDb.query<{ order_id: string; published_at: Date }>(
        `SELECT payload->>'orderId' AS order_id, published_at FROM outbox WHERE payload->>'orderId' = ANY($1::text[])`,
        [orders.map((order) => order.id)],
      )
    ).rows.map((row) => [row.order_id, row.published_at]),
  );
  const hops: Record<string, number[]> = { relayOrders: [], brokerToInventory: [], relayInventory: [], brokerToOrders: [], payment: [] };
  // relayOrders: order committed → claimed by order-service's relay; brokerToInventory: → inventory's
  // transaction starts; relayInventory: → its answer claimed by inventory's relay; brokerToOrders: →
  // applied (order RESERVED); payment: → payment authorized and applied (order CONFIRMED).
  for (const order of orders) {
    const reserved = inbox.get(order.message_id);
    const answer = answered.get(order.id);
    if (!reserved || !answer || !order.reserved_at) continue;
    hops.relayOrders.push(+order.published_at - +order.created_at);
    hops.brokerToInventory.push(+reserved - +order.published_at);
    hops.relayInventory.push(+answer - +reserved);
    hops.brokerToOrders.push(+order.reserved_at - +answer);
    hops.payment.push(+order.updated_at - +order.reserved_at);
  }
  return Object.fromEntries(Object.entries(hops).map(([hop, values]) => [hop, { p50: percentile(values, 0.5), p99: percentile(values, 0.99) }]));
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN, 1);
}
