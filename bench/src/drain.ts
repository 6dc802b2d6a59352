import { waitFor } from '@shop/testing';
import { cpuPer, cpuSnapshot } from './cpu';
import { placeOrders, round } from './load';
import type { Shop } from './shop';

export interface DrainResult {
  orders: number;
  /** Orders settled per second, from the first to the last one's final status. */
  perSecond: number;
  /** From inventory's start to the last order settled. */
  timeToEmptyS: number;
  drainSpanS: number;
  cpuMsPerOrder: Record<string, number>;
}

/**
 * A backlog accepted while inventory is down, then drained when it starts: `orders` orders tagged
 * `tag` placed at 32 connections, published to the queue, then inventory started.
 */
export async function drainBacklog(shop: Shop, tag: string, orders: number, timeoutMs: number): Promise<DrainResult> {
  await shop.inventory.stop();
  const load = await placeOrders({ url: shop.orders.url, connections: 32, amount: orders, seconds: 600, tag });
  await waitFor(async () => (await shop.unpublished()) === 0, { timeoutMs, intervalMs: 200, what: 'the backlog to reach the queue' });
  const startedAt = Date.now();
  await shop.inventory.start();
  // Every process of the saga, payment and email included: the drain is theirs as much as order- and inventory-service's.
  const pids = {
    orderService: shop.orders.pid,
    inventoryService: shop.inventory.pid,
    paymentService: shop.payments.pid,
    paymentProvider: shop.provider.pid,
    notificationService: shop.notifications.pid,
  };
  const cpuBefore = cpuSnapshot(pids, shop.broker?.processGroups());
  await waitFor(async () => (await shop.pendingOrders(`${tag}@bench.example`)) === 0, { timeoutMs, intervalMs: 200, what: 'the backlog to drain' });
  const timeToEmptyS = (Date.now() - startedAt) / 1000;
  const cpuMsPerOrder = cpuPer(cpuBefore, cpuSnapshot(pids, shop.broker?.processGroups()), load.created);
  const { rows } = await shop.ordersDb.query<{ n: string; span: number }>(
    `SELECT count(*) AS n, extract(epoch FROM max(updated_at) - min(updated_at)) AS span FROM orders WHERE customer_email = $1`,
    [`${tag}@bench.example`],
  );
  return {
    orders: load.created,
    perSecond: Math.round(Number(rows[0].n) / rows[0].span),
    timeToEmptyS: round(timeToEmptyS, 1),
    drainSpanS: round(rows[0].span, 1),
    cpuMsPerOrder,
  };
}
