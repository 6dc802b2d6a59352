import { EXCHANGES, QUEUES, ROUTING_KEYS, type OrderPlacedV1 } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import type { Channel, GetMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { ShopHarness } from './harness';

const orderPlaced = (orderId: string, lines: OrderPlacedV1['lines']): OrderPlacedV1 => ({
  schemaVersion: 1,
  orderId,
  lines,
  placedAt: new Date().toISOString(),
});

describe('inventory-service consuming order.placed', () => {
  let shop: ShopHarness;
  let channel: Channel;

  const publish = (content: Buffer | object, messageId: string, type: string = ROUTING_KEYS.orderPlaced) =>
    channel.publish(EXCHANGES.orders, ROUTING_KEYS.orderPlaced, Buffer.isBuffer(content) ? content : Buffer.from(JSON.stringify(content)), {
      messageId,
      type,
      persistent: true,
      contentType: 'application/json',
    });

  /** Handled order.placed messages by outcome, from the service's own /metrics. */
  const outcomes = async (): Promise<Record<string, number>> => {
    const text = await (await fetch(`${shop.metricsUrl('inventory')}/metrics`)).text();
    return Object.fromEntries([...text.matchAll(/^stock_reservations_total\{outcome="(\w[\w-]*)"\} (\d+)$/gm)].map((match) => [match[1], Number(match[2])]));
  };

  /**
   * Takes every message now in `queue` (nothing else reads these queues in this file) and returns
   * those whose message id is one of `messageIds`, so a test sees its own and never another's.
   */
  const takeMessages = async (queue: string, messageIds: string[]): Promise<GetMessage[]> => {
    const mine: GetMessage[] = [];
    for (let message = await channel.get(queue, { noAck: true }); message; message = await channel.get(queue, { noAck: true })) {
      if (messageIds.includes(String(message.properties.messageId))) mine.push(message);
    }
    return mine;
  };

  beforeAll(async () => {
    shop = await ShopHarness.create();
    await shop.startInventoryService();
    channel = await shop.channel();
  });

  afterAll(async () => {
    await channel.close();
    await shop.dispose();
  });

  it('c. the same message delivered three times makes one reservation, one decrement and one result event', async () => {
    const before = await shop.available('LMP-011');
    const counted = await outcomes();
    const orderId = randomUUID();
    const messageId = randomUUID();
    const event = orderPlaced(orderId, [{ sku: 'LMP-011', quantity: 2 }]);
    for (let i = 0; i < 3; i++) publish(event, messageId);

    // The counters are the process's own, so only what this test added counts.
    await waitFor(async () => ((await outcomes()).duplicate ?? 0) - (counted.duplicate ?? 0) === 2, { what: 'two duplicates recognised' });
    expect(((await outcomes()).reserved ?? 0) - (counted.reserved ?? 0)).toBe(1);
    expect(await shop.available('LMP-011')).toBe(before - 2);
    const reservations = await shop.inventory.query(`SELECT sku, quantity FROM reservations WHERE order_id = $1`, [orderId]);
    expect(reservations.rows).toEqual([{ sku: 'LMP-011', quantity: 2 }]);
    const inbox = await shop.inventory.query(`SELECT count(*)::int AS n FROM inbox WHERE message_id = $1`, [messageId]);
    expect(inbox.rows[0].n).toBe(1);
    const results = await shop.inventory.query(`SELECT id, routing_key FROM outbox WHERE payload->>'orderId' = $1`, [orderId]);
    expect(results.rows).toEqual([{ id: expect.any(String), routing_key: ROUTING_KEYS.stockReserved }]);
    // Nobody consumes the results here: exactly one, that outbox row, waits for order-service.
    const resultId = String(results.rows[0].id);
    await waitFor(async () => (await shop.inventory.query(`SELECT 1 FROM outbox WHERE id = $1 AND published_at IS NOT NULL`, [resultId])).rowCount === 1, {
      what: 'the result published',
    });
    const queued = await takeMessages(QUEUES.ordersStockResults, [resultId]);
    expect(queued.map((message) => JSON.parse(message.content.toString()).orderId)).toEqual([orderId]);
  });

  it('d. malformed, schema-invalid and unknown-type messages are dead-lettered with a reason; the next valid one is processed', async () => {
    const poison = [randomUUID(), randomUUID(), randomUUID()];
    publish(Buffer.from('{"schemaVersion": 1, "orderId": '), poison[0]);
    publish({ schemaVersion: 1, orderId: 'not-a-uuid', lines: [] }, poison[1]);
    publish(orderPlaced(randomUUID(), [{ sku: 'MUG-001', quantity: 1 }]), poison[2], 'order.cancelled');
    const validOrderId = randomUUID();
    const validMessageId = randomUUID();
    publish(orderPlaced(validOrderId, [{ sku: 'MUG-001', quantity: 1 }]), validMessageId);

    // Dead-lettered to inventory.order-placed.dlq, which inventory-service takes into its database.
    const deadLetters = await waitFor(
      async () => {
        const kept = (await shop.deadLetters('inventory')).filter((letter) => (poison as string[]).includes(letter.messageId));
        return kept.length >= 3 && kept;
      },
      { what: 'three dead letters' },
    );
    expect(deadLetters.every((letter) => letter.queue === QUEUES.inventoryOrderPlaced)).toBe(true);
    const reasonOf = (messageId: string) => deadLetters.filter((letter) => letter.messageId === messageId).map((letter) => letter.reason);
    expect(poison.flatMap(reasonOf)).toEqual([
      expect.stringMatching(/^malformed JSON/),
      expect.stringMatching(/^schema validation failed for "order.placed": orderId: .*lines: /),
      'unknown message type "order.cancelled"',
    ]);

    await waitFor(async () => (await shop.inventory.query(`SELECT 1 FROM reservations WHERE order_id = $1`, [validOrderId])).rowCount === 1, {
      what: 'the valid order reserved',
    });
    const stored = await shop.inventory.query(`SELECT message_id FROM inbox WHERE message_id = ANY($1)`, [[...poison, validMessageId]]);
    expect(stored.rows).toEqual([{ message_id: validMessageId }]); // poison never reaches the inbox
  });

  it('rejects an order all-or-nothing, naming the first sku in sku order that falls short', async () => {
    await shop.inventory.query(`UPDATE stock SET available = 1 WHERE sku = 'BLK-012'`);
    const bagBefore = await shop.available('BAG-004');
    const orderId = randomUUID();
    publish(
      orderPlaced(orderId, [
        { sku: 'BAG-004', quantity: 1 },
        { sku: 'BLK-012', quantity: 2 },
      ]),
      randomUUID(),
    );

    await waitFor(async () => (await shop.inventory.query(`SELECT 1 FROM outbox WHERE payload->>'orderId' = $1`, [orderId])).rowCount === 1, {
      what: 'a result',
    });
    const { rows } = await shop.inventory.query(`SELECT routing_key, payload FROM outbox WHERE payload->>'orderId' = $1`, [orderId]);
    expect(rows[0].routing_key).toBe(ROUTING_KEYS.stockRejected);
    expect(rows[0].payload).toMatchObject({ sku: 'BLK-012', reason: 'BLK-012 is out of stock: 2 requested, 1 available' });
    expect(await shop.available('BAG-004')).toBe(bagBefore);
    expect(await shop.available('BLK-012')).toBe(1);
    expect((await shop.inventory.query(`SELECT 1 FROM reservations WHERE order_id = $1`, [orderId])).rowCount).toBe(0);
  });

  it('handles a backlog in batches, deciding the orders in the order they were placed', async () => {
    await shop.stopInventoryService();
    await shop.inventory.query(`UPDATE stock SET available = 10 WHERE sku = 'TEE-002'`);
    const bagBefore = await shop.available('BAG-004');
    const orderIds = Array.from({ length: 30 }, () => randomUUID());
    const messageIds = orderIds.map(() => randomUUID());
    const deadLettersBefore = await shop.deadLettersOf(QUEUES.inventoryOrderPlaced);
    orderIds.forEach((orderId, i) =>
      publish(
        // The 4th order also wants more bags than exist: it is rejected whole and takes no tee.
        orderPlaced(
          orderId,
          i === 3
            ? [
                { sku: 'TEE-002', quantity: 1 },
                { sku: 'BAG-004', quantity: 100 }, // the most one line may ask for, over the 45 in stock
              ]
            : [{ sku: 'TEE-002', quantity: 1 }],
        ),
        messageIds[i],
      ),
    );
    await waitFor(async () => (await shop.queueDepth(QUEUES.inventoryOrderPlaced)) === 30, { what: 'the backlog queued' });
    await shop.startInventoryService();

    const results = async () =>
      (await shop.inventory.query(`SELECT payload->>'orderId' AS order_id, routing_key FROM outbox WHERE payload->>'orderId' = ANY($1)`, [orderIds])).rows;
    await waitFor(async () => (await results()).length === 30, { what: 'a result for each order' });
    const reservedIds = (await results()).filter((row) => row.routing_key === ROUTING_KEYS.stockReserved).map((row) => row.order_id);
    // First come, first served: the first ten placed, skipping the 4th, got the ten tees.
    const expected = [...orderIds.slice(0, 3), ...orderIds.slice(4, 11)];
    expect(reservedIds.sort()).toEqual(expected.sort());
    expect(await shop.available('TEE-002')).toBe(0);
    expect(await shop.available('BAG-004')).toBe(bagBefore);
    const reservations = await shop.inventory.query(`SELECT order_id FROM reservations WHERE sku = 'TEE-002' AND order_id = ANY($1)`, [orderIds]);
    expect(reservations.rows.map((row) => row.order_id).sort()).toEqual(expected.sort());
    // Batched: an inbox row records its transaction's start, and 30 messages took fewer than 30 transactions.
    const inbox = await shop.inventory.query(
      `SELECT count(*)::int AS messages, count(DISTINCT processed_at)::int AS transactions FROM inbox WHERE message_id = ANY($1)`,
      [messageIds],
    );
    expect(inbox.rows[0].messages).toBe(30);
    expect(inbox.rows[0].transactions).toBeLessThan(30);
    expect(await shop.deadLettersOf(QUEUES.inventoryOrderPlaced)).toBe(deadLettersBefore);
  });
});
