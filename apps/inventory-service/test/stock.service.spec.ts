/**
 * StockService on a real PostgreSQL database, without the app around it (immich's "medium test"):
 * the service, its repository, the inbox and the outbox are real; the broker and HTTP are not there.
 * What it decides is read back from the tables: stock, reservations, decisions, releases, outbox rows.
 */
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ROUTING_KEYS, type OrderPlacedV1 } from '@shop/contracts';
import { InboxService, OUTBOX_MIGRATIONS, OUTBOX_OPTIONS, OutboxService } from '@shop/outbox';
import { createDatabase } from '@shop/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CreateStock1732500000001 } from '../src/database/migrations/1732500000001-create-stock';
import { CreateOrderDecisions1732500000002 } from '../src/database/migrations/1732500000002-create-order-decisions';
import { CreateOrderReleases1765000000000 } from '../src/database/migrations/1765000000000-create-order-releases';
import { Stock } from '../src/stock/stock.entity';
import { StockRepository } from '../src/stock/stock.repository';
import { StockService, type PlacedOrderMessage, type ReleaseRequestMessage } from '../src/stock/stock.service';

describe('StockService on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let moduleRef: TestingModule;
  let service: StockService;
  let sql: DataSource;

  beforeAll(async () => {
    database = await createDatabase('inventory_medium');
    moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: database.url,
          entities: [Stock],
          migrations: [...OUTBOX_MIGRATIONS, CreateStock1732500000001, CreateOrderDecisions1732500000002, CreateOrderReleases1765000000000],
          migrationsRun: true,
          synchronize: false,
        }),
      ],
      providers: [StockService, StockRepository, InboxService, OutboxService, { provide: OUTBOX_OPTIONS, useValue: {} }],
    }).compile();
    service = moduleRef.get(StockService);
    sql = moduleRef.get(DataSource);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await database?.drop();
  });

  /** A sku of its own for each test, so no test depends on another's stock. */
  async function newSku(available: number): Promise<string> {
    const sku = `T-${randomUUID().slice(0, 8).toUpperCase()}`;
    await sql.query(`INSERT INTO stock (sku, available) VALUES ($1, $2)`, [sku, available]);
    return sku;
  }
  const available = async (sku: string): Promise<number> => (await sql.query(`SELECT available FROM stock WHERE sku = $1`, [sku]))[0].available;
  const message = (orderId: string, lines: OrderPlacedV1['lines'], messageId = randomUUID()): PlacedOrderMessage => ({
    messageId,
    payload: { schemaVersion: 1, orderId, lines, placedAt: new Date().toISOString() },
  });
  const results = async (orderId: string): Promise<{ routing_key: string; payload: Record<string, unknown> }[]> =>
    sql.query(`SELECT routing_key, payload FROM outbox WHERE payload->>'orderId' = $1 ORDER BY created_at, id`, [orderId]);
  const reservations = async (orderId: string) => sql.query(`SELECT sku, quantity FROM reservations WHERE order_id = $1 ORDER BY sku`, [orderId]);

  it('reserves every line of an order, records the decision and queues stock.reserved', async () => {
    const [a, b] = [await newSku(5), await newSku(3)];
    const orderId = randomUUID();
    await service.reserveStock([
      message(orderId, [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 3 },
      ]),
    ]);

    expect([await available(a), await available(b)]).toEqual([3, 0]);
    expect(await reservations(orderId)).toEqual(
      [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 3 },
      ].sort((x, y) => x.sku.localeCompare(y.sku)),
    );
    expect((await results(orderId)).map((row) => row.routing_key)).toEqual([ROUTING_KEYS.stockReserved]);
    expect(await sql.query(`SELECT outcome FROM order_decisions WHERE order_id = $1`, [orderId])).toEqual([{ outcome: 'reserved' }]);
  });

  it('rejects an order whole when one line falls short, and takes nothing', async () => {
    const [a, b] = [await newSku(5), await newSku(1)];
    const orderId = randomUUID();
    await service.reserveStock([
      message(orderId, [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 2 },
      ]),
    ]);

    expect([await available(a), await available(b)]).toEqual([5, 1]);
    expect(await reservations(orderId)).toEqual([]);
    const [result] = await results(orderId);
    expect(result.routing_key).toBe(ROUTING_KEYS.stockRejected);
    expect(result.payload).toMatchObject({ sku: b, reason: `${b} is out of stock: 2 requested, 1 available` });
  });

  it('a message seen before changes nothing and queues nothing', async () => {
    const sku = await newSku(4);
    const orderId = randomUUID();
    const once = message(orderId, [{ sku, quantity: 1 }]);
    await service.reserveStock([once]);
    await service.reserveStock([once]);

    expect(await available(sku)).toBe(3);
    expect(await results(orderId)).toHaveLength(1);
  });

  it('an order already reserved, sent again under another message id, takes nothing more and gets the same answer', async () => {
    const sku = await newSku(4);
    const orderId = randomUUID();
    await service.reserveStock([message(orderId, [{ sku, quantity: 3 }])]);
    // Too little left for a fresh decision: only the recorded one can answer "reserved" now.
    await service.reserveStock([message(orderId, [{ sku, quantity: 3 }])]);

    expect(await available(sku)).toBe(1);
    expect(await reservations(orderId)).toEqual([{ sku, quantity: 3 }]);
    const answers = await results(orderId);
    expect(answers.map((row) => row.routing_key)).toEqual([ROUTING_KEYS.stockReserved, ROUTING_KEYS.stockReserved]);
    expect(answers[1].payload).toEqual(answers[0].payload);
  });

  it('decides a batch in the order the orders came: the first ones get the last units', async () => {
    const sku = await newSku(2);
    const orderIds = [randomUUID(), randomUUID(), randomUUID()];
    await service.reserveStock(orderIds.map((orderId) => message(orderId, [{ sku, quantity: 1 }])));

    const outcomes = await Promise.all(orderIds.map(async (orderId) => (await results(orderId))[0].routing_key));
    expect(outcomes).toEqual([ROUTING_KEYS.stockReserved, ROUTING_KEYS.stockReserved, ROUTING_KEYS.stockRejected]);
    expect(await available(sku)).toBe(0);
  });

  describe('releases', () => {
    const release = (orderId: string, messageId = randomUUID()): ReleaseRequestMessage => ({ messageId, payload: { schemaVersion: 1, orderId } });
    const releases = async (orderId: string) => sql.query(`SELECT lines FROM order_releases WHERE order_id = $1`, [orderId]);
    const decision = async (orderId: string) => (await sql.query(`SELECT outcome FROM order_decisions WHERE order_id = $1`, [orderId]))[0]?.outcome;
    const routingKeys = async (orderId: string) => (await results(orderId)).map((row) => row.routing_key);

    it('gives a reserved order its units back once, whether the release comes again under another message id or as the same message', async () => {
      const [a, b] = [await newSku(5), await newSku(3)];
      const orderId = randomUUID();
      await service.reserveStock([
        message(orderId, [
          { sku: a, quantity: 2 },
          { sku: b, quantity: 3 },
        ]),
      ]);
      const once = release(orderId);
      await service.releaseStock([once]);
      await service.releaseStock([release(orderId)]);
      await service.releaseStock([once]);

      expect([await available(a), await available(b)]).toEqual([5, 3]);
      expect(await reservations(orderId)).toEqual([]);
      const given = [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 3 },
      ].sort((x, y) => (x.sku < y.sku ? -1 : 1));
      expect(await releases(orderId)).toEqual([{ lines: given }]);
      const answers = await results(orderId);
      expect(answers.map((row) => row.routing_key)).toEqual([ROUTING_KEYS.stockReserved, ROUTING_KEYS.stockReleased]);
      expect(answers[1].payload).toMatchObject({ orderId, lines: given });
    });

    it('two copies of a release in one batch give the units back once', async () => {
      const sku = await newSku(4);
      const orderId = randomUUID();
      await service.reserveStock([message(orderId, [{ sku, quantity: 3 }])]);
      await service.releaseStock([release(orderId), release(orderId)]);

      expect(await available(sku)).toBe(4);
      expect(await routingKeys(orderId)).toEqual([ROUTING_KEYS.stockReserved, ROUTING_KEYS.stockReleased]);
    });

    it('releases two orders of the same sku in one batch', async () => {
      const sku = await newSku(5);
      const [first, second] = [randomUUID(), randomUUID()];
      await service.reserveStock([message(first, [{ sku, quantity: 2 }]), message(second, [{ sku, quantity: 3 }])]);
      expect(await available(sku)).toBe(0);
      await service.releaseStock([release(first), release(second)]);

      expect(await available(sku)).toBe(5);
      expect([await releases(first), await releases(second)]).toEqual([[{ lines: [{ sku, quantity: 2 }] }], [{ lines: [{ sku, quantity: 3 }] }]]);
    });

    it('a cancel that overtakes its order.placed leaves a tombstone: the late order.placed takes nothing and answers nothing', async () => {
      const sku = await newSku(4);
      const orderId = randomUUID();
      await service.releaseStock([release(orderId)]);
      await service.reserveStock([message(orderId, [{ sku, quantity: 3 }])]);
      // A copy of it, later still, too.
      await service.reserveStock([message(orderId, [{ sku, quantity: 3 }])]);

      expect(await available(sku)).toBe(4);
      expect(await reservations(orderId)).toEqual([]);
      expect(await decision(orderId)).toBe('cancelled');
      expect(await releases(orderId)).toEqual([{ lines: [] }]);
      const answers = await results(orderId);
      expect(answers.map((row) => row.routing_key)).toEqual([ROUTING_KEYS.stockReleased]);
      expect(answers[0].payload).toMatchObject({ orderId, lines: [] });
    });

    it('releasing a rejected order changes no stock and answers once with no lines', async () => {
      const sku = await newSku(1);
      const orderId = randomUUID();
      await service.reserveStock([message(orderId, [{ sku, quantity: 2 }])]);
      await service.releaseStock([release(orderId)]);
      await service.releaseStock([release(orderId)]);

      expect(await available(sku)).toBe(1);
      expect(await decision(orderId)).toBe('rejected');
      expect(await releases(orderId)).toEqual([{ lines: [] }]);
      const answers = await results(orderId);
      expect(answers.map((row) => row.routing_key)).toEqual([ROUTING_KEYS.stockRejected, ROUTING_KEYS.stockReleased]);
      expect(answers[1].payload).toMatchObject({ lines: [] });
    });

    it('a second release record for an order is refused by the database itself', async () => {
      const orderId = randomUUID();
      await service.releaseStock([release(orderId)]);
      await expect(sql.query(`INSERT INTO order_releases (order_id, released_at, lines) VALUES ($1, now(), '[]')`, [orderId])).rejects.toThrow(
        /order_releases_pkey/,
      );
    });

    it('a release racing the reservation of the same order in another transaction: given back once or never taken, never twice', async () => {
      const initial = 3;
      const sku = await newSku(initial);
      for (let round = 0; round < 20; round++) {
        const orderId = randomUUID();
        await Promise.all([service.reserveStock([message(orderId, [{ sku, quantity: 2 }])]), service.releaseStock([release(orderId)])]);

        expect(await available(sku)).toBe(initial);
        expect(await reservations(orderId)).toEqual([]);
        // Which answers, not in which order: an outbox row's created_at is its transaction's start, and the release's
        // transaction may have started first, then waited for the reservation's locks.
        const keys = (await routingKeys(orderId)).sort();
        // Reservation first: reserved, then released with its lines; release first: a tombstone, released with none.
        const released = (await results(orderId)).find((row) => row.routing_key === ROUTING_KEYS.stockReleased)!;
        if ((await decision(orderId)) === 'reserved') {
          expect(keys).toEqual([ROUTING_KEYS.stockReleased, ROUTING_KEYS.stockReserved].sort());
          expect(released.payload).toMatchObject({ lines: [{ sku, quantity: 2 }] });
        } else {
          expect(await decision(orderId)).toBe('cancelled');
          expect(keys).toEqual([ROUTING_KEYS.stockReleased]);
          expect(released.payload).toMatchObject({ lines: [] });
        }
      }
    });
  });
});
