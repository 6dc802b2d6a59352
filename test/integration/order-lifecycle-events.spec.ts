import {
  asyncApiDocument,
  EXCHANGES,
  orderConfirmedSchema,
  orderPlacedSchema,
  orderRejectedSchema,
  orderReservedSchema,
  QUEUES,
  topologyFor,
  withRetryPolicy,
} from '@shop/contracts';
import { declareTopology, MESSAGING_CONVENTIONS } from '@shop/messaging';
import { MessageContract, waitFor } from '@shop/testing';
import type { Channel, ConsumeMessage } from 'amqplib';
import { anOrder, ShopHarness } from './harness';

/**
 * order-service tells whoever subscribes what happened to an order: order.placed, order.reserved,
 * then order.confirmed or order.rejected, each from its outbox in the transaction that made the change,
 * each carrying the order (customer, priced lines, total) so a receiver never calls back.
 */
describe('order lifecycle events', () => {
  let shop: ShopHarness;
  let channel: Channel;
  const received: ConsumeMessage[] = [];
  const QUEUE = 'test.order-lifecycle';
  // Every message this suite makes the services publish, checked against the AsyncAPI document.
  const TAP = 'test.asyncapi-tap';
  const contract = new MessageContract(asyncApiDocument(MESSAGING_CONVENTIONS));

  beforeAll(async () => {
    shop = await ShopHarness.create();
    await shop.startOrderService();
    await shop.startInventoryService();
    // A receiver of our own, bound as a new service would bind its queue.
    channel = await shop.channel();
    await channel.assertQueue(QUEUE, { durable: false, exclusive: true });
    await channel.bindQueue(QUEUE, EXCHANGES.orders, 'order.*');
    await channel.consume(QUEUE, (message) => message && received.push(message), { noAck: true });
    await channel.assertQueue(TAP, { durable: false, exclusive: true });
    for (const exchange of contract.exchanges) await channel.bindQueue(TAP, exchange, '#');
    await channel.consume(TAP, (message) => message && contract.record(message), { noAck: true });
  });

  afterAll(async () => {
    await channel.close();
    await shop.dispose();
  });

  const eventsOf = (orderId: string) =>
    received
      .map((message) => ({ type: message.properties.type as string, payload: JSON.parse(message.content.toString()) }))
      .filter((m) => m.payload.orderId === orderId);

  it('publishes order.placed, order.reserved and order.confirmed with the customer, the priced lines and the total', async () => {
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
    await waitFor(() => eventsOf(id).length === 3, { what: 'order.placed, order.reserved and order.confirmed received' });

    const [first, reserved, second] = eventsOf(id);
    expect(first.type).toBe('order.placed');
    expect(reserved.type).toBe('order.reserved');
    // Only payment-service's queue receives the reserved order: it carries the provider's token, never a card number.
    expect(orderReservedSchema.parse(reserved.payload)).toMatchObject({ orderId: id, payment: { token: 'tok_success' }, totalCents: 2 * 1800 + 2900 });
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
    // (updated_at moves on when the capture is recorded; the outbox row was written with the status.)
    const { rows: written } = await shop.orders.query<{ created_at: Date }>(
      `SELECT created_at FROM outbox WHERE routing_key = 'order.confirmed' AND payload->>'orderId' = $1`,
      [id],
    );
    expect(new Date(confirmed.confirmedAt).getTime()).toBe(written[0].created_at.getTime());
    expect(new Date(confirmed.placedAt).getTime()).toBe(rows[0].created_at.getTime());
    // Stored in the outbox and published once.
    const { rows: outbox } = await shop.orders.query(
      `SELECT routing_key, published_at IS NOT NULL AS published FROM outbox WHERE payload->>'orderId' = $1 ORDER BY created_at`,
      [id],
    );
    expect(outbox).toEqual([
      { routing_key: 'order.placed', published: true },
      { routing_key: 'order.reserved', published: true },
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

  it("keeps an event while its only receiver's queue is missing, and publishes it once the queue is back (never dropped)", async () => {
    // The route table binds signin.requested to notifications.sign-in-links alone: a publish nothing routes is a fault, the row stays.
    // (A lifecycle event now has two receivers or more, so a single missing queue is not unroutable; each producer
    // declares its events' receiver queues where missing at every connect, which is what keeps them routed.)
    await channel.deleteQueue(QUEUES.notificationsSignInLinks);
    // The tap would route it too: off this exchange for the test (the copy taken below is checked instead).
    await channel.unbindQueue(TAP, EXCHANGES.orders, '#');
    const email = 'missing-queue@example.com';
    const outboxRow = async () =>
      (
        await shop.orders.query<{ published_at: Date | null; publish_attempts: number }>(
          `SELECT published_at, publish_attempts FROM outbox WHERE routing_key = 'signin.requested' AND payload->>'email' = $1`,
          [email],
        )
      ).rows[0];
    const asked = await fetch(`${shop.orderUrl}/api/sessions/link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    expect(asked.status).toBe(202);
    await waitFor(async () => ((await outboxRow())?.publish_attempts ?? 0) >= 1, { what: 'a publish of signin.requested refused as unroutable' });
    expect((await outboxRow()).published_at).toBeNull();

    await declareTopology(channel, withRetryPolicy(topologyFor('notification-service'), [200, 500], 3));
    await waitFor(async () => (await outboxRow()).published_at !== null, { what: 'signin.requested published once its queue exists' });
    const copy = await channel.get(QUEUES.notificationsSignInLinks, { noAck: true });
    expect(copy && JSON.parse(copy.content.toString()).email).toBe(email);
    if (copy) contract.record(copy);
    await channel.bindQueue(TAP, EXCHANGES.orders, '#');
  });

  it('published only messages that match the AsyncAPI document (docs/api/asyncapi.yaml): payload, headers and properties', async () => {
    // What the tests above made order-service, inventory-service and payment-service publish.
    const published = [
      'order.placed',
      'order.reserved',
      'order.confirmed',
      'order.rejected',
      'stock.reserved',
      'stock.rejected',
      'payment.authorized',
      'payment.captured',
      'signin.requested',
    ];
    await waitFor(() => published.every((type) => contract.seen.has(type)), { what: `${published.join(', ')} seen by the tap` });
    expect(contract.invalid).toEqual([]);
    expect([...contract.seen.keys()].sort()).toEqual(expect.arrayContaining(published.sort()));
  });
});
