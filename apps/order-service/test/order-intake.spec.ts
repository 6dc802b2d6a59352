/**
 * Group commit on intake, on a real PostgreSQL database (a medium test, as orders.service.spec.ts):
 * orders placed at the same time are stored in one statement, each still answered as if alone. How
 * many statements ran is read from the `order_intake_batch_size` histogram; what was stored, from
 * the tables.
 */
import { UnprocessableEntityException } from '@nestjs/common';
import { type TestingModule } from '@nestjs/testing';
import { DEMO_CATALOG, ROUTING_KEYS, type CreateOrderRequest } from '@shop/contracts';
import { createDatabase } from '@shop/testing';
import { randomUUID } from 'node:crypto';
import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { CATALOG_CACHE_MS, CatalogService } from '../src/catalog/catalog.service';
import { INTAKE_BATCH_MAX } from '../src/orders/orders.repository';
import { OrdersService, type PlacedOrder } from '../src/orders/orders.service';
import { ordersMediumModule } from './orders-medium-module';

const [MUG, TEE] = DEMO_CATALOG;
/** A real product whose price times 100 overflows the orders' int total: PostgreSQL refuses that order's statement (SQLSTATE 22003). */
const WATCH = { sku: 'WATCH-001', priceCents: 25_000_000 };

// Each test builds its own module (migrations checked, catalog read): slow on a loaded machine.
jest.setTimeout(60_000);

describe('order intake, group commit', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  const modules: TestingModule[] = [];
  let sql: DataSource;

  /** The service with INTAKE_BATCH_MAX = `batchMax`, and the catalog cached (so orders placed in one tick reach the intake in that tick). */
  const intake = async (batchMax: number): Promise<OrdersService> => {
    const moduleRef = await ordersMediumModule(database.url, [
      { provide: INTAKE_BATCH_MAX, useValue: batchMax },
      { provide: CATALOG_CACHE_MS, useValue: 60_000 },
    ]);
    modules.push(moduleRef);
    await moduleRef.get(CatalogService).findBySkus([MUG.sku, TEE.sku, WATCH.sku]);
    return moduleRef.get(OrdersService);
  };

  beforeAll(async () => {
    database = await createDatabase('orders_intake');
    const first = await ordersMediumModule(database.url);
    modules.push(first);
    sql = first.get(DataSource);
    await sql.query(`INSERT INTO products (sku, name, description, price_cents, image_url) VALUES ($1, 'Watch', 'A watch', $2, '/watch.png')`, [
      WATCH.sku,
      WATCH.priceCents,
    ]);
  });

  afterAll(async () => {
    for (const moduleRef of modules) await moduleRef.close();
    await database?.drop();
  });

  const request = (lines: CreateOrderRequest['lines'] = [{ sku: MUG.sku, quantity: 2 }]): CreateOrderRequest => ({
    customer: { name: 'Ada Lovelace', email: `ada-${randomUUID().slice(0, 8)}@example.com` },
    lines,
    payment: { token: 'tok_success' },
  });

  /** Statements that completed and orders they carried, from the histogram (shared by every module of the process). */
  const statements = async (): Promise<{ count: number; sum: number }> => {
    const { values } = await register.getSingleMetric('order_intake_batch_size')!.get();
    // A histogram's values carry the series' name (_count, _sum, _bucket); prom-client's MetricValue type leaves it out.
    const value = (name: string) => values.find((v) => (v as { metricName?: string }).metricName === name)?.value ?? 0;
    return { count: value('order_intake_batch_size_count'), sum: value('order_intake_batch_size_sum') };
  };
  const failedBatches = async (): Promise<number> => (await register.getSingleMetric('order_intake_batches_failed_total')!.get()).values[0]?.value ?? 0;
  const stored = async (ids: string[]) => ({
    orders: Number((await sql.query(`SELECT count(*) FROM orders WHERE id = ANY($1::uuid[])`, [ids]))[0].count),
    lines: Number((await sql.query(`SELECT count(*) FROM order_lines WHERE order_id = ANY($1::uuid[])`, [ids]))[0].count),
    placed: Number(
      (
        await sql.query(`SELECT count(*) FROM outbox WHERE routing_key = $2 AND (payload->>'orderId')::uuid = ANY($1::uuid[])`, [ids, ROUTING_KEYS.orderPlaced])
      )[0].count,
    ),
  });

  it('stores many concurrent orders in fewer statements than orders, each with its lines and one order.placed', async () => {
    const service = await intake(64);
    const [before, failedBefore] = [await statements(), await failedBatches()];
    const bodies = Array.from({ length: 150 }, (_, i) =>
      request(
        i % 2
          ? [{ sku: MUG.sku, quantity: 1 + (i % 3) }]
          : [
              { sku: MUG.sku, quantity: 1 },
              { sku: TEE.sku, quantity: 2 },
            ],
      ),
    );
    const placed = await Promise.all(bodies.map((body) => service.placeOrder(randomUUID(), body)));

    expect(placed.every(({ replayed, order }) => !replayed && order.status === 'PENDING')).toBe(true);
    const ids = placed.map(({ order }) => order.id);
    expect(new Set(ids).size).toBe(150);
    expect(await stored(ids)).toEqual({ orders: 150, lines: bodies.reduce((n, body) => n + body.lines.length, 0), placed: 150 });
    // Each answer is its own order, priced as its own body says.
    for (const [i, { order }] of placed.entries()) {
      expect(order.lines.map((line) => [line.sku, line.quantity])).toEqual(bodies[i].lines.map((line) => [line.sku, line.quantity]));
    }
    const after = await statements();
    expect(after.sum - before.sum).toBe(150);
    // Group commit happened: the 150 orders took far fewer statements (the first alone, the rest in batches).
    expect(after.count - before.count).toBeLessThan(150 / 4);
    expect(await failedBatches()).toBe(failedBefore);
  });

  it('orders placed in one tick: the first alone at once, every other in the next statement', async () => {
    const service = await intake(64);
    const [before, failedBefore] = [await statements(), await failedBatches()];
    const placed = await Promise.all(Array.from({ length: 10 }, () => service.placeOrder(randomUUID(), request())));
    const after = await statements();
    expect(placed).toHaveLength(10);
    expect([after.count - before.count, after.sum - before.sum]).toEqual([2, 10]);
    expect(await failedBatches()).toBe(failedBefore);
  });

  it('a bad order in a batch fails alone, with its own error; the others of the batch commit', async () => {
    const service = await intake(64);
    const badKey = randomUUID();
    const [before, failedBefore] = [await statements(), await failedBatches()];
    const outcomes = await Promise.allSettled([
      service.placeOrder(randomUUID(), request()), // alone, at once: the batch below waits for it
      service.placeOrder(randomUUID(), request()),
      service.placeOrder(badKey, request([{ sku: WATCH.sku, quantity: 100 }])),
      service.placeOrder(randomUUID(), request([{ sku: TEE.sku, quantity: 3 }])),
      service.placeOrder(randomUUID(), request()),
    ]);
    const after = await statements();
    // The four after the first went together; the database refused that statement, so each was stored
    // alone: the first's statement and three more completed (the bad one's failed again, alone).
    expect([after.count - before.count, after.sum - before.sum]).toEqual([4, 4]);
    expect(await failedBatches()).toBe(failedBefore + 1);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    // The same error as alone: "out of range for type integer", which the HTTP app answers 400 (DatabaseDataErrorsAsBadRequest).
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ code: '22003' });
    const ids = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value.order.id] : []));
    expect(await stored(ids)).toEqual({ orders: 4, lines: 4, placed: 4 });
    expect(await sql.query(`SELECT 1 FROM orders WHERE idempotency_key = $1`, [badKey])).toHaveLength(0);
  });

  it('the same idempotency key twice in one batch: one order, a replay of it, and a 422 for another body', async () => {
    const service = await intake(64);
    const key = randomUUID();
    const body = request();
    const [before, failedBefore] = [await statements(), await failedBatches()];
    const [, first, again, other] = await Promise.allSettled([
      service.placeOrder(randomUUID(), request()), // alone: the three below share the next statement
      service.placeOrder(key, body),
      service.placeOrder(key, body),
      service.placeOrder(key, { ...body, lines: [{ sku: TEE.sku, quantity: 5 }] }),
    ]);
    const after = await statements();
    expect([after.count - before.count, after.sum - before.sum]).toEqual([2, 4]);
    expect(await failedBatches()).toBe(failedBefore);

    const placed = (first as PromiseFulfilledResult<PlacedOrder>).value;
    expect(placed.replayed).toBe(false);
    expect((again as PromiseFulfilledResult<PlacedOrder>).value).toEqual({ order: placed.order, replayed: true });
    expect((other as PromiseRejectedResult).reason).toBeInstanceOf(UnprocessableEntityException);
    expect(await sql.query(`SELECT id FROM orders WHERE idempotency_key = $1`, [key])).toEqual([{ id: placed.order.id }]);
    expect(await stored([placed.order.id])).toEqual({ orders: 1, lines: 1, placed: 1 });
  });

  it('a key already stored, sent again within a batch, is a replay and writes nothing', async () => {
    const service = await intake(64);
    const [key, body] = [randomUUID(), request()];
    const original = await service.placeOrder(key, body);
    const [, again] = await Promise.all([
      service.placeOrder(randomUUID(), request()),
      service.placeOrder(key, body),
      service.placeOrder(randomUUID(), request()),
    ]);
    expect(again).toEqual({ order: original.order, replayed: true });
    expect(await stored([original.order.id])).toEqual({ orders: 1, lines: 1, placed: 1 });
  });

  it('INTAKE_BATCH_MAX=1: one statement per order, and each still commits with its lines and outbox row', async () => {
    const service = await intake(1);
    const before = await statements();
    const badKey = randomUUID();
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 20 }, () => service.placeOrder(randomUUID(), request())),
      service.placeOrder(badKey, request([{ sku: WATCH.sku, quantity: 100 }])),
    ]);
    const after = await statements();
    // Twenty statements completed, each of one order; the bad order's own statement failed.
    expect([after.count - before.count, after.sum - before.sum]).toEqual([20, 20]);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([{ status: 'rejected', reason: expect.objectContaining({ code: '22003' }) }]);
    const ids = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value.order.id] : []));
    expect(await stored(ids)).toEqual({ orders: 20, lines: 20, placed: 20 });
  });
});
