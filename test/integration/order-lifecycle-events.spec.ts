import { EXCHANGES, orderConfirmedSchema, orderPlacedSchema, orderRejectedSchema, QUEUES, topologyFor, withRetryPolicy } from '@shop/contracts';
import { declareTopology } from '@shop/messaging';
import { waitFor } from '@shop/testing';
import type { Channel, ConsumeMessage } from 'amqplib';
import { anOrder, ShopHarness } from './harness';

/**
 * order-service tells whoever subscribes what happened to an order: order.placed, then
 * order.confirmed or order.rejected, each from its outbox in the transaction that made the change,
 * each carrying the order (customer, priced lines, total) so a receiver never calls back.
 */
describe('order lifecycle events', () => {
  let shop: ShopHarness;
  let channel: Channel;
  const received: ConsumeMessage[] = [];
  const QUEUE = 'test.order-lifecycle';

  beforeAll(async () => {
    shop = await ShopHarness.create();
    await shop.startOrderService();
    await shop.startInventoryService();
    // A receiver of our own, bound as a new service would bind its queue.
    channel = await shop.channel();
    await channel.assertQueue(QUEUE, { durable: false, exclusive: true });
    await channel.bindQueue(QUEUE, EXCHANGES.orders, 'order.*');
    await channel.consume(QUEUE, (message) => message && received.push(message), { noAck: true });
  });

  afterAll(async () => {
    await channel.close();
    await shop.dispose();
  });

  const eventsOf = (orderId: string) =>
    received
      .map((message) => ({ type: message.properties.type as string, payload: JSON.parse(message.content.toString()) }))
      .filter((m) => m.payload.orderId === orderId);

  it('publishes order.placed and order.confirmed with the customer, the priced lines and the total', async () => {
    const placed = await shop.placeOrder(
      anOrder(
        [
          { sku: 'TEE-002', quantity: 1 },
          { sku: 'MUG-001', quantity: 2 },
        ],
        'grace@example.com',
      ),
    );
    expect(placed.status).toBe(201);
    const id = placed.body.id as string;
    await waitFor(() => eventsOf(id).length === 2, { what: 'order.placed and order.confirmed received' });

    const [first, second] = eventsOf(id);
    expect(first.type).toBe('order.placed');
    expect(second.type).toBe('order.confirmed');
    const lines = [
      { sku: 'MUG-001', productName: expect.any(String), quantity: 2, unitPriceCents: 1800 },
      { sku: 'TEE-002', productName: expect.any(String), quantity: 1, unitPriceCents: 2900 },
    ];
    const state = { orderId: id, customer: { name: 'Ada Lovelace', email: 'grace@example.com' }, totalCents: 2 * 1800 + 2900, currency: 'USD' };
    expect(orderPlacedSchema.parse(first.payload)).toMatchObject({ ...state, lines: expect.arrayContaining(lines) });
    const confirmed = orderConfirmedSchema.parse(second.payload);
    expect(confirmed).toMatchObject({ ...state, lines });
    // The event says when the order changed: the time its status was stored.
    const { rows } = await shop.orders.query<{ status: string; updated_at: Date; created_at: Date }>(
      `SELECT status, updated_at, created_at FROM orders WHERE id = $1`,
      [id],
    );
    expect(rows[0].status).toBe('CONFIRMED');
    expect(new Date(confirmed.confirmedAt).getTime()).toBe(rows[0].updated_at.getTime());
    expect(new Date(confirmed.placedAt).getTime()).toBe(rows[0].created_at.getTime());
    // Stored in the outbox and published once.
    const { rows: outbox } = await shop.orders.query(
      `SELECT routing_key, published_at IS NOT NULL AS published FROM outbox WHERE payload->>'orderId' = $1 ORDER BY created_at`,
      [id],
    );
    expect(outbox).toEqual([
      { routing_key: 'order.placed', published: true },
      { routing_key: 'order.confirmed', published: true },
    ]);
  });

  it('publishes order.rejected with the reason when stock is short', async () => {
    await shop.inventory.query(`UPDATE stock SET available = 1 WHERE sku = 'LMP-011'`);
    const placed = await shop.placeOrder(anOrder([{ sku: 'LMP-011', quantity: 3 }]));
    const id = placed.body.id as string;
    await waitFor(() => eventsOf(id).length === 2, { what: 'order.placed and order.rejected received' });
    const rejected = orderRejectedSchema.parse(eventsOf(id)[1].payload);
    expect(eventsOf(id)[1].type).toBe('order.rejected');
    expect(rejected.reason).toMatch(/LMP-011 is out of stock: 3 requested, 1 available/);
    expect(rejected.lines).toEqual([{ sku: 'LMP-011', productName: expect.any(String), quantity: 3, unitPriceCents: expect.any(Number) }]);
    expect(await shop.orderStatus(id)).toBe('REJECTED');
  });

  it("keeps a lifecycle event while its receiver's queue is missing, and publishes it once the queue is back (never dropped)", async () => {
    // The route table binds order.confirmed to notifications.order-events: a publish nothing routes is a fault, the row stays.
    await channel.unbindQueue(QUEUE, EXCHANGES.orders, 'order.*');
    await channel.bindQueue(QUEUE, EXCHANGES.orders, 'order.placed');
    await channel.deleteQueue(QUEUES.notificationsOrderEvents);
    const outboxRow = async (id: string) =>
      (
        await shop.orders.query<{ published_at: Date | null; publish_attempts: number }>(
          `SELECT published_at, publish_attempts FROM outbox WHERE payload->>'orderId' = $1 AND routing_key = 'order.confirmed'`,
          [id],
        )
      ).rows[0];
    try {
      const placed = await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }]));
      const id = placed.body.id as string;
      await waitFor(async () => (await shop.orderStatus(id)) === 'CONFIRMED', { what: 'CONFIRMED' });
      await waitFor(async () => ((await outboxRow(id))?.publish_attempts ?? 0) >= 1, { what: 'a publish of order.confirmed refused as unroutable' });
      expect((await outboxRow(id)).published_at).toBeNull();

      await declareTopology(channel, withRetryPolicy(topologyFor('notification-service'), [200, 500], 3));
      await waitFor(async () => (await outboxRow(id)).published_at !== null, { what: 'order.confirmed published once its queue exists' });
      const copies = await channel.get(QUEUES.notificationsOrderEvents, { noAck: true });
      expect(copies && JSON.parse(copies.content.toString()).orderId).toBe(id);
    } finally {
      await channel.bindQueue(QUEUE, EXCHANGES.orders, 'order.*');
    }
  });
});
