/**
 * StockService on a real PostgreSQL database, without the app around it (immich's "medium test"):
 * the service, its repository, the inbox and the outbox are real; the broker and HTTP are not there.
 * What it decides is read back from the tables: stock, reservations, decisions, outbox rows.
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
import { Stock } from '../src/stock/stock.entity';
import { StockRepository } from '../src/stock/stock.repository';
import { StockService, type PlacedOrderMessage } from '../src/stock/stock.service';

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
          migrations: [...OUTBOX_MIGRATIONS, CreateStock1732500000001, CreateOrderDecisions1732500000002],
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
});
