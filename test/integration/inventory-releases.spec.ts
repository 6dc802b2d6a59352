/**
 * inventory-service over the real broker: order.rejected and order.cancelled from its
 * inventory.order-releases queue give an order's stock back once, and a cancel that overtakes its
 * order.placed leaves a tombstone. Only inventory runs (its own database and vhost), so the test is
 * the producer; the queue's reader reads the order id only, which is all these messages carry.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { EXCHANGES, ROUTING_KEYS, TOPOLOGY, withRetryPolicy, type RoutingKey } from '@shop/contracts';
import { declareTopology } from '@shop/messaging';
import { createDatabase, createVhost, waitFor } from '@shop/testing';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createInventoryService } from '../../apps/inventory-service/src/app';
import { loadInventoryServiceConfig } from '../../apps/inventory-service/src/config';

describe('inventory-service consuming order releases', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let inventory: NestFastifyApplication;
  let sql: Pool;
  let amqp: ChannelModel;
  let channel: Channel;

  beforeAll(async () => {
    [database, vhost] = await Promise.all([createDatabase('inventory_releases_it'), createVhost('inventory-releases-it')]);
    amqp = await connect(vhost.url);
    channel = await amqp.createChannel();
    await declareTopology(channel, withRetryPolicy(TOPOLOGY, [200, 500], 3));
    inventory = await createInventoryService(
      loadInventoryServiceConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', DATABASE_URL: database.url, RABBITMQ_URL: vhost.url, LOG_LEVEL: 'error' }),
    );
    await inventory.listen(0, '127.0.0.1');
    sql = new Pool({ connectionString: database.url, max: 2 });
  });

  afterAll(async () => {
    await inventory?.close();
    await sql?.end();
    await amqp?.close();
    await vhost?.remove();
    await database?.drop();
  });

  const publish = (routingKey: RoutingKey, payload: object, messageId = randomUUID()) =>
    channel.publish(EXCHANGES.orders, routingKey, Buffer.from(JSON.stringify(payload)), {
      messageId,
      type: routingKey,
      persistent: true,
      contentType: 'application/json',
    });
  const placed = (orderId: string, sku: string, quantity: number) =>
    publish(ROUTING_KEYS.orderPlaced, { schemaVersion: 1, orderId, lines: [{ sku, quantity }], placedAt: new Date().toISOString() });
  const available = async (sku: string): Promise<number> => (await sql.query(`SELECT available FROM stock WHERE sku = $1`, [sku])).rows[0].available;
  const answers = async (orderId: string): Promise<string[]> =>
    (await sql.query(`SELECT routing_key FROM outbox WHERE payload->>'orderId' = $1 ORDER BY created_at, id`, [orderId])).rows.map((row) => row.routing_key);
  const handled = async (queue: string, messageIds: string[]) =>
    (await sql.query(`SELECT count(*)::int AS n FROM inbox WHERE consumer = $1 AND message_id = ANY($2::text[])`, [queue, messageIds])).rows[0].n;

  it('gives a reserved order its units back once, whatever copies of its release come', async () => {
    const sku = 'LMP-011';
    const before = await available(sku);
    const orderId = randomUUID();
    placed(orderId, sku, 2);
    await waitFor(async () => (await available(sku)) === before - 2, { what: 'the order reserved' });

    const once = randomUUID();
    publish(ROUTING_KEYS.orderRejected, { schemaVersion: 1, orderId }, once);
    publish(ROUTING_KEYS.orderRejected, { schemaVersion: 1, orderId }, once);
    const other = randomUUID();
    publish(ROUTING_KEYS.orderCancelled, { schemaVersion: 1, orderId }, other);
    await waitFor(async () => (await handled('inventory.order-releases', [once, other])) === 2, { what: 'both releases handled' });

    expect(await available(sku)).toBe(before);
    expect(await answers(orderId)).toEqual([ROUTING_KEYS.stockReserved, ROUTING_KEYS.stockReleased]);
  });

  it('a cancel that overtakes its order.placed: the late order.placed takes nothing and answers nothing', async () => {
    const sku = 'LMP-011';
    const before = await available(sku);
    const orderId = randomUUID();
    publish(ROUTING_KEYS.orderCancelled, { schemaVersion: 1, orderId });
    await waitFor(async () => (await answers(orderId)).length === 1, { what: 'the release answered' });
    const late = randomUUID();
    publish(ROUTING_KEYS.orderPlaced, { schemaVersion: 1, orderId, lines: [{ sku, quantity: 2 }], placedAt: new Date().toISOString() }, late);
    await waitFor(async () => (await handled('inventory.order-placed', [late])) === 1, { what: 'the late order.placed handled' });

    expect(await available(sku)).toBe(before);
    expect(await answers(orderId)).toEqual([ROUTING_KEYS.stockReleased]);
    expect((await sql.query(`SELECT outcome FROM order_decisions WHERE order_id = $1`, [orderId])).rows).toEqual([{ outcome: 'cancelled' }]);
  });
});
