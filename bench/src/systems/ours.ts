import { QUEUES } from '@shop/contracts';
import { RabbitMqNode } from '@shop/testing';
import { connect } from 'amqplib';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_STOCK, count, Shop } from '../shop';
import type { Outcomes, SystemUnderTest } from '../system';

/**
 * Ours as one of the compared systems: order-service and inventory-service (the built dist) on a
 * private RabbitMQ node, so the broker can be SIGKILLed without touching the machine's shared one.
 * The consumer is inventory-service; an order is processed once inventory's result is recorded
 * (RESERVED or REJECTED), as in the baselines (the bench's shop runs no payment service here).
 */
export async function startOurs(dir: string, log: (message: string) => void): Promise<SystemUnderTest> {
  const nodeDir = join(dir, 'rabbitmq');
  const logDir = join(dir, 'services');
  mkdirSync(nodeDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const node = new RabbitMqNode(nodeDir);
  await node.start();
  const groups = () => (node.processGroup ? [node.processGroup] : []);
  let shop: Shop;
  try {
    shop = await Shop.start(logDir, { urls: [node.url], processGroups: groups });
  } catch (err) {
    await node.stop();
    throw err;
  }
  // The baselines only reserve stock and send the result back: ours is compared doing the same work,
  // so payment and email are stopped (their queues still receive ours' events: that fan-out is ours' cost).
  await Promise.all([shop.payments.stop(), shop.provider.stop(), shop.notifications.stop()]);
  log(`ours: order-service and inventory-service on a private RabbitMQ node (${node.url}); payment and notification stopped`);

  const outcomes = async (ids: string[]): Promise<Outcomes> => {
    const { rows } = await shop.ordersDb.query<{ pending: boolean; n: string }>(
      `SELECT status = 'PENDING' AS pending, count(*) AS n FROM orders WHERE id = ANY($1::uuid[]) GROUP BY 1`,
      [ids],
    );
    const pending = Number(rows.find((row) => row.pending)?.n ?? 0);
    const found = rows.reduce((sum, row) => sum + Number(row.n), 0);
    // Taken twice: the units reserved for an order beyond what it ordered. Order lines and
    // reservations live in two databases, so they are compared here.
    const [{ rows: ordered }, { rows: reserved }] = await Promise.all([
      shop.ordersDb.query<{ id: string; quantity: string }>(
        `SELECT order_id AS id, sum(quantity) AS quantity FROM order_lines WHERE order_id = ANY($1::uuid[]) GROUP BY order_id`,
        [ids],
      ),
      shop.inventoryDb.query<{ id: string; quantity: string; rows: string }>(
        `SELECT order_id AS id, sum(quantity) AS quantity, count(*) AS rows FROM reservations WHERE order_id = ANY($1::uuid[]) GROUP BY order_id`,
        [ids],
      ),
    ]);
    const orderedById = new Map(ordered.map((row) => [row.id, Number(row.quantity)]));
    const twice = reserved.filter((row) => Number(row.quantity) > (orderedById.get(row.id) ?? 0));
    if (twice.length) log(`ours: orders whose stock was taken more than once: ${JSON.stringify(twice.slice(0, 20))}`);
    // Every unit taken from stock must be a reservation row: stock was set to BENCH_STOCK per sku at start.
    const { rows: units } = await shop.inventoryDb.query<{ skus: string; available: string; reserved: string }>(
      `SELECT (SELECT count(*) FROM stock) AS skus, (SELECT sum(available) FROM stock) AS available,
              (SELECT coalesce(sum(quantity), 0) FROM reservations) AS reserved`,
    );
    const unexplainedUnits = Number(units[0].skus) * BENCH_STOCK - Number(units[0].available) - Number(units[0].reserved);
    if (unexplainedUnits !== 0) log(`ours: ${unexplainedUnits} stock units taken that no reservation row explains`);
    return { settled: found - pending, pending, missing: ids.length - found, appliedTwice: twice.length, unexplainedUnits };
  };

  const idle = async (): Promise<boolean> => {
    const unpublished =
      (await count(shop.ordersDb, `SELECT count(*) FROM outbox WHERE published_at IS NULL`)) +
      (await count(shop.inventoryDb, `SELECT count(*) FROM outbox WHERE published_at IS NULL`));
    if (unpublished > 0) return false;
    // Ready messages only (a delivered, unacknowledged one is not counted): the caller also waits
    // until the outcomes stop changing.
    const connection = await connect(node.url);
    try {
      const channel = await connection.createChannel();
      for (const queue of [QUEUES.inventoryOrderPlaced, QUEUES.ordersStockResults]) {
        if ((await channel.checkQueue(queue)).messageCount > 0) return false;
      }
      return true;
    } finally {
      await connection.close();
    }
  };

  return {
    name: 'ours',
    orders: shop.orders,
    consumer: shop.inventory,
    queue: { kill: () => node.kill(), start: () => node.start(), processGroups: groups },
    ordersDb: shop.ordersDb,
    stockDb: shop.inventoryDb,
    outcomes,
    idle,
    close: async () => {
      await shop.close();
      await node.stop();
    },
  };
}
