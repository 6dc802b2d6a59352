import { EXCHANGES, QUEUES, ROUTING_KEYS, type OrderPlacedV1 } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import type { Channel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { StockService, type PlacedOrderMessage } from '../../apps/inventory-service/src/stock/stock.service';
import { ADMIN_TOKEN, anOrder, ShopHarness } from './harness';

/**
 * Inventory decides an order once, by order id: a copy of an `order.placed` under another message id
 * (a republish, a replay, a producer bug) gets the first answer again and takes no stock; and
 * order-service never lets a contradicting answer change a final order. Each test sets the stock of
 * its own sku first and uses its own orders, so none depends on another having run.
 */
describe('an order is decided once, by order id', () => {
  let shop: ShopHarness;
  let channel: Channel;

  beforeAll(async () => {
    shop = await ShopHarness.create();
    await shop.startOrderService();
    await shop.startInventoryService();
    channel = await shop.channel();
  });

  afterAll(async () => {
    await channel.close();
    await shop.dispose();
  });

  const setStock = (sku: string, available: number) => shop.inventory.query(`UPDATE stock SET available = $2 WHERE sku = $1`, [sku, available]);

  /** Places an order through the API and waits for its final status. */
  async function placedOrder(sku: string, quantity: number, status: 'CONFIRMED' | 'REJECTED'): Promise<string> {
    const placed = await shop.placeOrder(anOrder([{ sku, quantity }]));
    expect(placed.status).toBe(201);
    await waitFor(async () => (await shop.orderStatus(placed.body.id)) === status, { what: `order ${status}` });
    // A rejected order's stock release (inventory answers order.rejected with stock.released) comes after it.
    if (status === 'REJECTED') {
      await waitFor(
        async () => (await shop.orders.query(`SELECT stock_released FROM orders WHERE id = $1`, [placed.body.id])).rows[0]?.stock_released === true,
        {
          what: 'the stock release recorded',
        },
      );
    }
    // A confirmed order's capture comes after it: settled, the order changes no more unless an answer changes it.
    if (status === 'CONFIRMED') {
      await waitFor(
        async () => (await shop.orders.query(`SELECT payment_status FROM orders WHERE id = $1`, [placed.body.id])).rows[0]?.payment_status === 'captured',
        { what: 'the payment captured' },
      );
    }
    return placed.body.id;
  }

  /** The order's own `order.placed`, published again under a new message id, as a manual republish would. */
  async function republish(orderId: string): Promise<void> {
    const { rows } = await shop.orders.query<{ payload: OrderPlacedV1 }>(`SELECT payload FROM outbox WHERE routing_key = $1 AND payload->>'orderId' = $2`, [
      ROUTING_KEYS.orderPlaced,
      orderId,
    ]);
    expect(rows).toHaveLength(1);
    channel.publish(EXCHANGES.orders, ROUTING_KEYS.orderPlaced, Buffer.from(JSON.stringify(rows[0].payload)), {
      messageId: randomUUID(),
      type: ROUTING_KEYS.orderPlaced,
      persistent: true,
      contentType: 'application/json',
    });
  }

  /** Inventory's answers about the order, oldest first. */
  /** Inventory's answers to the order's order.placed copies (not the stock.released of its rejection). */
  const answers = async (orderId: string) =>
    (
      await shop.inventory.query<{ id: string; routing_key: string; payload: Record<string, unknown> }>(
        `SELECT id, routing_key, payload FROM outbox WHERE payload->>'orderId' = $1 AND routing_key IN ($2, $3) ORDER BY created_at, id`,
        [orderId, ROUTING_KEYS.stockReserved, ROUTING_KEYS.stockRejected],
      )
    ).rows;

  const reservations = async (orderId: string) =>
    (await shop.inventory.query(`SELECT sku, quantity FROM reservations WHERE order_id = $1 ORDER BY sku`, [orderId])).rows;

  const appliedByOrderService = async (messageId: string) =>
    (await shop.orders.query(`SELECT 1 FROM inbox WHERE consumer = $1 AND message_id = $2`, [QUEUES.ordersStockResults, messageId])).rowCount === 1;

  const deadLetters = () => shop.deadLettersOf(QUEUES.inventoryOrderPlaced);

  /** Waits until inventory answered the copy and order-service took that answer in, or the copy was dead-lettered. */
  async function secondAnswerSettled(orderId: string): Promise<void> {
    const deadBefore = await deadLetters();
    await waitFor(
      async () => {
        const rows = await answers(orderId);
        return (rows.length === 2 && (await appliedByOrderService(rows[1].id))) || (await deadLetters()) > deadBefore;
      },
      { what: 'the copy answered and that answer applied (or the copy dead-lettered)' },
    );
    expect(await deadLetters()).toBe(deadBefore);
  }

  it('a rejected order, restocked, then its order.placed again under a new message id: rejected again, same reason, nothing held', async () => {
    await setStock('CND-009', 1);
    const orderId = await placedOrder('CND-009', 2, 'REJECTED');
    const restocked = await fetch(`${shop.inventoryUrl}/api/stock/CND-009/restock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ quantity: 16 }),
    });
    expect(restocked.status).toBe(200);

    await republish(orderId);
    await secondAnswerSettled(orderId);

    expect(await shop.available('CND-009')).toBe(17);
    expect(await reservations(orderId)).toEqual([]);
    const [first, second] = await answers(orderId);
    expect(first.routing_key).toBe(ROUTING_KEYS.stockRejected);
    expect(first.payload).toMatchObject({ sku: 'CND-009', reason: 'CND-009 is out of stock: 2 requested, 1 available' });
    expect(second.routing_key).toBe(ROUTING_KEYS.stockRejected);
    expect(second.payload).toEqual(first.payload);
    const { rows } = await shop.orders.query(`SELECT status, status_reason FROM orders WHERE id = $1`, [orderId]);
    expect(rows).toEqual([{ status: 'REJECTED', status_reason: 'CND-009 is out of stock: 2 requested, 1 available' }]);
  });

  it('a confirmed order, its order.placed again under a new message id: reserved again, the same lines, nothing more taken', async () => {
    await setStock('PLN-010', 10);
    const orderId = await placedOrder('PLN-010', 3, 'CONFIRMED');
    // Only 2 left: a new decision would now reject the order; the recorded one says reserved.
    await setStock('PLN-010', 2);

    await republish(orderId);
    await secondAnswerSettled(orderId);

    expect(await shop.available('PLN-010')).toBe(2);
    expect(await reservations(orderId)).toEqual([{ sku: 'PLN-010', quantity: 3 }]);
    const [first, second] = await answers(orderId);
    expect(first.routing_key).toBe(ROUTING_KEYS.stockReserved);
    expect(second.routing_key).toBe(ROUTING_KEYS.stockReserved);
    expect(second.payload).toEqual(first.payload);
    expect(await shop.orderStatus(orderId)).toBe('CONFIRMED');
  });

  const copyOf = (orderId: string, lines: OrderPlacedV1['lines']): PlacedOrderMessage => ({
    payload: { schemaVersion: 1, orderId, lines, placedAt: new Date().toISOString() },
    messageId: randomUUID(),
  });

  // Handed to the service as the consumer hands a batch over: through the broker, whether two deliveries share a batch depends on socket reads.
  it('two copies of one order in one batch: one reservation, the same answer twice', async () => {
    await setStock('BTL-007', 2);
    const orderId = randomUUID();
    const lines = [{ sku: 'BTL-007', quantity: 2 }];

    await shop.inventoryService!.get(StockService).reserveStock([copyOf(orderId, lines), copyOf(orderId, lines)]);

    expect(await shop.available('BTL-007')).toBe(0);
    expect(await reservations(orderId)).toEqual([{ sku: 'BTL-007', quantity: 2 }]);
    const [first, second, ...more] = await answers(orderId);
    expect(more).toEqual([]);
    expect(first.routing_key).toBe(ROUTING_KEYS.stockReserved);
    expect(second.routing_key).toBe(ROUTING_KEYS.stockReserved);
    expect(second.payload).toEqual(first.payload);
  });

  /** Stock results that changed no order, by why, from order-service's /metrics. */
  const ignoredResults = async (reason: string): Promise<number> => {
    const text = await (await fetch(`${shop.metricsUrl('order')}/metrics`)).text();
    return Number(text.match(new RegExp(`^stock_results_ignored_total\\{reason="${reason}"\\} (\\d+)$`, 'm'))?.[1] ?? 0);
  };

  /** An answer as inventory would send it; returns its message id. */
  function answer(routingKey: typeof ROUTING_KEYS.stockReserved | typeof ROUTING_KEYS.stockRejected, payload: object): string {
    const messageId = randomUUID();
    channel.publish(EXCHANGES.inventory, routingKey, Buffer.from(JSON.stringify(payload)), {
      messageId,
      type: routingKey,
      persistent: true,
      contentType: 'application/json',
    });
    return messageId;
  }

  it('order-service reports every reason from 0, so an alert on an increase sees the first contradiction', async () => {
    const text = await (await fetch(`${shop.metricsUrl('order')}/metrics`)).text();
    for (const reason of ['repeat', 'contradiction', 'unknown-order']) {
      expect(text).toMatch(new RegExp(`^stock_results_ignored_total\\{reason="${reason}"\\} \\d+$`, 'm'));
    }
  });

  it.each([
    {
      sku: 'PEN-006',
      stock: 10,
      status: 'CONFIRMED' as const,
      routingKey: ROUTING_KEYS.stockRejected,
      payload: (orderId: string) => ({ schemaVersion: 1, orderId, sku: 'PEN-006', reason: 'PEN-006 is out of stock', rejectedAt: new Date().toISOString() }),
    },
    {
      sku: 'CAP-003',
      stock: 0,
      status: 'REJECTED' as const,
      routingKey: ROUTING_KEYS.stockReserved,
      payload: (orderId: string) => ({ schemaVersion: 1, orderId, lines: [{ sku: 'CAP-003', quantity: 1 }], reservedAt: new Date().toISOString() }),
    },
  ])(
    'order-service: $routingKey for a $status order changes nothing and is counted as a contradiction',
    async ({ sku, stock, status, routingKey, payload }) => {
      await setStock(sku, stock);
      const orderId = await placedOrder(sku, 1, status);
      const row = async () => (await shop.orders.query(`SELECT status, status_reason, updated_at FROM orders WHERE id = $1`, [orderId])).rows;
      const before = await row();
      const contradictionsBefore = await ignoredResults('contradiction');

      const messageId = answer(routingKey, payload(orderId));
      // Counted after its transaction committed (so the order is as that transaction left it); a changed order ends the wait too, and fails below.
      await waitFor(async () => (await ignoredResults('contradiction')) > contradictionsBefore || JSON.stringify(await row()) !== JSON.stringify(before), {
        what: 'the answer taken in',
      });

      expect(await row()).toEqual(before);
      expect(await appliedByOrderService(messageId)).toBe(true);
      expect(await ignoredResults('contradiction')).toBe(contradictionsBefore + 1);
      expect(await shop.deadLettersOf(QUEUES.ordersStockResults)).toBe(0);
    },
  );
});
