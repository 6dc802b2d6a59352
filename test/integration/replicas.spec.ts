import { DEMO_CATALOG, QUEUES } from '@shop/contracts';
import { freePort, waitFor } from '@shop/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createInventoryService } from '../../apps/inventory-service/src/app';
import { loadInventoryServiceConfig } from '../../apps/inventory-service/src/config';
import { createOrderService } from '../../apps/order-service/src/app';
import { loadOrderServiceConfig } from '../../apps/order-service/src/config';
import { ADMIN_TOKEN, anOrder, ShopHarness } from './harness';

/**
 * Two replicas of each service on one database and one vhost, as `docker-compose.cluster.yml` and
 * the Kubernetes manifests run them. The outbox relays share rows by SKIP LOCKED, the consumers
 * share each queue, and a status change reaches every replica's event streams through LISTEN.
 */
describe('two replicas of each service', () => {
  let shop: ShopHarness;
  const extra: NestFastifyApplication[] = [];

  beforeAll(async () => {
    shop = await ShopHarness.create();
  });

  afterEach(async () => {
    for (const app of extra.splice(0)) await app.close();
    await shop.stopOrderService();
    await shop.stopInventoryService();
  });

  afterAll(async () => {
    await shop.dispose();
  });

  async function secondOrderService(brokerUrl: string): Promise<string> {
    const app = await createOrderService(loadOrderServiceConfig(shop.serviceEnv(shop.databaseUrl('orders'), brokerUrl)));
    await app.listen(0, '127.0.0.1');
    extra.push(app);
    return app.getUrl();
  }

  async function secondInventoryService(): Promise<void> {
    const app = await createInventoryService(loadInventoryServiceConfig({ ...shop.serviceEnv(shop.databaseUrl('inventory'), shop.vhost.url), ADMIN_TOKEN }));
    await app.listen(0, '127.0.0.1');
    extra.push(app);
  }

  it('a replica that consumed nothing pushes the final status of an order another replica consumed', async () => {
    await shop.startOrderService();
    // The second replica cannot reach the broker at all (nothing listens there), so the answer from
    // inventory can only be consumed by the first; its stream learns of it through LISTEN.
    const otherUrl = await secondOrderService(`amqp://guest:guest@127.0.0.1:${await freePort()}/`);
    const placed = await shop.placeOrder(anOrder([{ sku: DEMO_CATALOG[0].sku, quantity: 1 }]));
    expect(placed.status).toBe(201);

    const controller = new AbortController();
    const response = await fetch(`${otherUrl}/api/orders/${placed.body.id}/events`, { signal: controller.signal });
    expect(response.status).toBe(200);
    const events: string[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) events.push(decoder.decode(chunk as Uint8Array, { stream: true }));
    })();
    await waitFor(() => events.join('').includes('PENDING'), { what: 'PENDING on the second replica' });

    await shop.startInventoryService();
    await waitFor(() => events.join('').includes('CONFIRMED'), { what: 'CONFIRMED on the second replica', timeoutMs: 20_000 });
    await reading; // the server ends the stream once the order is confirmed and paid
    controller.abort();
    expect(await shop.orderStatus(placed.body.id)).toBe('CONFIRMED');
  });

  it('two inventory replicas drain one queue concurrently: stock exact, each order decided once, no deadlock', async () => {
    const skus = DEMO_CATALOG.slice(0, 6).map((product) => product.sku);
    const initial = new Map(skus.map((sku, index) => [sku, index < 3 ? 40 : 10_000]));
    for (const [sku, available] of initial) await shop.inventory.query(`UPDATE stock SET available = $2 WHERE sku = $1`, [sku, available]);
    const { rows: before } = await shop.inventory.query<{ deadlocks: number }>(
      `SELECT deadlocks::int FROM pg_stat_database WHERE datname = current_database()`,
    );

    // A backlog first, so both replicas start on a full queue; lines in varying sku order.
    await shop.startOrderService();
    const ids: string[] = [];
    const orders = Array.from({ length: 400 }, (_, n) => {
      const picked = [skus[n % 6], skus[(n * 5 + 1) % 6], skus[(n * 7 + 2) % 6]].filter((sku, i, all) => all.indexOf(sku) === i);
      return anOrder(picked.map((sku, i) => ({ sku, quantity: 1 + ((n + i) % 3) })));
    });
    for (let i = 0; i < orders.length; i += 20) {
      const answers = await Promise.all(orders.slice(i, i + 20).map((order) => shop.placeOrder(order)));
      for (const answer of answers) {
        expect(answer.status).toBe(201);
        ids.push(answer.body.id);
      }
    }
    await shop.startInventoryService();
    await secondInventoryService();
    // A service connects to the broker in the background after it starts: wait for both consumers.
    const channel = await shop.channel();
    await waitFor(async () => (await channel.checkQueue(QUEUES.inventoryOrderPlaced)).consumerCount === 2, {
      what: 'two consumers on the queue',
      intervalMs: 50,
    });
    await channel.close();

    await waitFor(
      async () => {
        const { rows } = await shop.orders.query(
          `SELECT 1 FROM orders WHERE id = ANY($1::uuid[]) AND status NOT IN ('CONFIRMED', 'REJECTED', 'CANCELLED') LIMIT 1`,
          [ids],
        );
        return rows.length === 0;
      },
      { what: 'every order final', timeoutMs: 60_000, intervalMs: 200 },
    );

    const { rows: decisions } = await shop.inventory.query<{ order_id: string; decisions: number }>(
      `SELECT order_id, count(*)::int AS decisions FROM order_decisions WHERE order_id = ANY($1::uuid[]) GROUP BY order_id`,
      [ids],
    );
    expect(decisions).toHaveLength(ids.length);
    expect(decisions.filter((row) => row.decisions !== 1)).toEqual([]);

    const { rows: held } = await shop.inventory.query<{ sku: string; quantity: number }>(
      `SELECT r.sku, sum(r.quantity)::int AS quantity FROM reservations r WHERE r.order_id = ANY($1::uuid[]) GROUP BY r.sku`,
      [ids],
    );
    const { rows: confirmedLines } = await shop.orders.query<{ sku: string; quantity: number }>(
      `SELECT l.sku, sum(l.quantity)::int AS quantity FROM order_lines l JOIN orders o ON o.id = l.order_id
       WHERE o.id = ANY($1::uuid[]) AND o.status = 'CONFIRMED' GROUP BY l.sku`,
      [ids],
    );
    expect(new Map(held.map((row) => [row.sku, row.quantity]))).toEqual(new Map(confirmedLines.map((row) => [row.sku, row.quantity])));
    for (const sku of skus) {
      const reserved = held.find((row) => row.sku === sku)?.quantity ?? 0;
      expect(await shop.available(sku)).toBe(initial.get(sku)! - reserved);
    }
    // The scarce skus ran out, and no order was turned away while enough of the sku it was refused for
    // was left: stock only went down, so what is left now is at most what was left at its decision.
    const { rows: refused } = await shop.inventory.query<{ order_id: string; sku: string; left: number }>(
      `SELECT d.order_id, d.sku, s.available AS left FROM order_decisions d JOIN stock s ON s.sku = d.sku
       WHERE d.order_id = ANY($1::uuid[]) AND d.outcome = 'rejected'`,
      [ids],
    );
    expect(refused.length).toBeGreaterThan(0);
    const { rows: lines } = await shop.orders.query<{ order_id: string; sku: string; quantity: number }>(
      `SELECT order_id, sku, quantity FROM order_lines WHERE order_id = ANY($1::uuid[])`,
      [ids],
    );
    const wanted = new Map(lines.map((line) => [`${line.order_id}/${line.sku}`, line.quantity]));
    expect(refused.filter((row) => row.left >= wanted.get(`${row.order_id}/${row.sku}`)!)).toEqual([]);

    expect(await shop.deadLettersOf(QUEUES.inventoryOrderPlaced)).toBe(0);
    // Statistics reach pg_stat_database shortly after each transaction ends.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const { rows: after } = await shop.inventory.query<{ deadlocks: number }>(`SELECT deadlocks::int FROM pg_stat_database WHERE datname = current_database()`);
    expect(after[0].deadlocks - before[0].deadlocks).toBe(0);
  });
});
