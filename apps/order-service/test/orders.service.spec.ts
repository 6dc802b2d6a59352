/**
 * OrdersService on a real PostgreSQL database, without the app around it (immich's "medium test"):
 * the service, its repository, the catalog, the inbox and the outbox are real; the broker and HTTP
 * are not there. What it did is read back from the tables: orders, lines, outbox and inbox rows.
 */
import { UnprocessableEntityException } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DEMO_CATALOG, ROUTING_KEYS, type CreateOrderRequest } from '@shop/contracts';
import { InboxService, OUTBOX_MIGRATIONS, OUTBOX_OPTIONS, OutboxService } from '@shop/outbox';
import { createDatabase } from '@shop/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CATALOG_CACHE_MS, CatalogService } from '../src/catalog/catalog.service';
import { Product } from '../src/catalog/product.entity';
import { CreateCatalog1732500000001 } from '../src/database/migrations/1732500000001-create-catalog';
import { CreateOrders1732500000002 } from '../src/database/migrations/1732500000002-create-orders';
import { OrderLine } from '../src/orders/order-line.entity';
import { Order } from '../src/orders/order.entity';
import { OrdersRepository } from '../src/orders/orders.repository';
import { OrdersService } from '../src/orders/orders.service';

const [MUG, TEE] = DEMO_CATALOG;

describe('OrdersService on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let moduleRef: TestingModule;
  let service: OrdersService;
  let sql: DataSource;

  beforeAll(async () => {
    database = await createDatabase('orders_medium');
    moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: database.url,
          entities: [Product, Order, OrderLine],
          migrations: [...OUTBOX_MIGRATIONS, CreateCatalog1732500000001, CreateOrders1732500000002],
          migrationsRun: true,
          synchronize: false,
        }),
      ],
      providers: [
        OrdersService,
        OrdersRepository,
        CatalogService,
        InboxService,
        OutboxService,
        { provide: CATALOG_CACHE_MS, useValue: 0 },
        { provide: OUTBOX_OPTIONS, useValue: {} },
      ],
    }).compile();
    service = moduleRef.get(OrdersService);
    sql = moduleRef.get(DataSource);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await database?.drop();
  });

  const request = (quantity = 2): CreateOrderRequest => ({
    customer: { name: 'Ada Lovelace', email: `ada-${randomUUID().slice(0, 8)}@example.com` },
    lines: [
      { sku: MUG.sku, quantity },
      { sku: TEE.sku, quantity: 1 },
    ],
  });
  const status = async (id: string) => (await sql.query(`SELECT status, status_reason FROM orders WHERE id = $1`, [id]))[0];

  it('stores the order, its lines at catalog prices and one order.placed in the outbox', async () => {
    const { order, replayed } = await service.placeOrder(randomUUID(), request());

    expect(replayed).toBe(false);
    expect(order).toMatchObject({ status: 'PENDING', totalCents: 2 * MUG.priceCents + TEE.priceCents });
    const lines = await sql.query(`SELECT sku, quantity, unit_price_cents FROM order_lines WHERE order_id = $1 ORDER BY sku`, [order.id]);
    expect(lines).toEqual(
      [
        { sku: MUG.sku, quantity: 2, unit_price_cents: MUG.priceCents },
        { sku: TEE.sku, quantity: 1, unit_price_cents: TEE.priceCents },
      ].sort((a, b) => a.sku.localeCompare(b.sku)),
    );
    const outbox = await sql.query(`SELECT routing_key, payload FROM outbox WHERE payload->>'orderId' = $1`, [order.id]);
    expect(outbox).toHaveLength(1);
    expect(outbox[0].routing_key).toBe(ROUTING_KEYS.orderPlaced);
    expect(outbox[0].payload.lines).toEqual([
      { sku: MUG.sku, productName: MUG.name, quantity: 2, unitPriceCents: MUG.priceCents },
      { sku: TEE.sku, productName: TEE.name, quantity: 1, unitPriceCents: TEE.priceCents },
    ]);
  });

  it('the same key and body give the same order once; the same key with another body is refused', async () => {
    const key = randomUUID();
    const body = request();
    const first = await service.placeOrder(key, body);
    const again = await service.placeOrder(key, body);
    await expect(service.placeOrder(key, { ...body, lines: [{ sku: MUG.sku, quantity: 5 }] })).rejects.toBeInstanceOf(UnprocessableEntityException);

    expect(again).toEqual({ order: first.order, replayed: true });
    expect(await sql.query(`SELECT id FROM orders WHERE idempotency_key = $1`, [key])).toEqual([{ id: first.order.id }]);
    expect(await sql.query(`SELECT 1 FROM outbox WHERE payload->>'orderId' = $1`, [first.order.id])).toHaveLength(1);
  });

  it('an unknown sku stores nothing and names its line', async () => {
    const key = randomUUID();
    const placing = service.placeOrder(key, { ...request(), lines: [{ sku: 'NOPE-404', quantity: 1 }] });
    await expect(placing).rejects.toMatchObject({ response: { issues: [{ field: 'lines.0.sku' }] } });
    expect(await sql.query(`SELECT 1 FROM orders WHERE idempotency_key = $1`, [key])).toHaveLength(0);
  });

  it('applies a result once, and a contradicting one later changes nothing', async () => {
    const { order } = await service.placeOrder(randomUUID(), request());
    const reserved = { messageId: randomUUID(), type: ROUTING_KEYS.stockReserved, orderId: order.id, reason: null } as const;
    await service.applyStockResults([reserved]);
    await service.applyStockResults([reserved]);
    expect(await status(order.id)).toEqual({ status: 'CONFIRMED', status_reason: null });

    await service.applyStockResults([{ messageId: randomUUID(), type: ROUTING_KEYS.stockRejected, orderId: order.id, reason: 'too late' }]);
    expect(await status(order.id)).toEqual({ status: 'CONFIRMED', status_reason: null });
    expect(await sql.query(`SELECT message_id FROM inbox WHERE message_id = $1`, [reserved.messageId])).toHaveLength(1);
  });

  it('a rejection keeps its reason', async () => {
    const { order } = await service.placeOrder(randomUUID(), request());
    await service.applyStockResults([{ messageId: randomUUID(), type: ROUTING_KEYS.stockRejected, orderId: order.id, reason: 'MUG-001 is out of stock' }]);
    expect(await status(order.id)).toEqual({ status: 'REJECTED', status_reason: 'MUG-001 is out of stock' });
  });
});
