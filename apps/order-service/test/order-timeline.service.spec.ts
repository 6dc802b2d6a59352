/**
 * OrderTimelineService on a real PostgreSQL database (a "medium test", as orders.service.spec.ts):
 * an order placed by the real OrdersService, its outbox row read back by the real OutboxService. The
 * other services' hops are not asked (no URL configured), order-service's own are not the point here.
 */
import { type TestingModule } from '@nestjs/testing';
import { DEMO_CATALOG, type CreateOrderRequest } from '@shop/contracts';
import { OutboxService } from '@shop/outbox';
import { ServiceTrace } from '@shop/service';
import { createDatabase } from '@shop/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { OrderTimelineService } from '../src/operations/order-timeline.service';
import { PEER_OPERATIONS_OPTIONS, PeerOperationsClient } from '../src/operations/peer-operations.client';
import { TRACE_URL_TEMPLATE } from '../src/operations/trace-link';
import { OrdersRepository } from '../src/orders/orders.repository';
import { OrdersService } from '../src/orders/orders.service';
import { ordersMediumModule } from './orders-medium-module';

const [MUG] = DEMO_CATALOG;
const TEMPLATE = 'http://localhost:16686/trace/{traceId}';

describe('OrderTimelineService: the order trace id and its link', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let moduleRef: TestingModule;
  let orders: OrdersService;
  let sql: DataSource;

  beforeAll(async () => {
    database = await createDatabase('orders_timeline');
    moduleRef = await ordersMediumModule(database.url, [
      OrderTimelineService,
      PeerOperationsClient,
      // No peer is configured: each is named as not asked, and the view is still whole.
      { provide: PEER_OPERATIONS_OPTIONS, useValue: { urls: {}, adminToken: undefined, timeoutMs: 100 } },
      { provide: ServiceTrace, useValue: { traceOf: async (orderId: string) => ({ service: 'orders', orderId, entries: [] }) } },
      { provide: TRACE_URL_TEMPLATE, useValue: TEMPLATE },
    ]);
    orders = moduleRef.get(OrdersService);
    sql = moduleRef.get(DataSource);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await database?.drop();
  });

  const request = (): CreateOrderRequest => ({
    customer: { name: 'Ada Lovelace', email: `ada-${randomUUID().slice(0, 8)}@example.com` },
    lines: [{ sku: MUG.sku, quantity: 1 }],
    payment: { token: 'tok_success' },
  });
  const placed = async () => (await orders.placeOrder(randomUUID(), request())).order.id;
  const traceparentOf = async (orderId: string): Promise<string> =>
    (await sql.query(`SELECT headers->>'traceparent' AS traceparent FROM outbox WHERE routing_key = 'order.placed' AND payload->>'orderId' = $1`, [orderId]))[0]
      .traceparent;
  /** The same service with another TRACE_URL_TEMPLATE (null: unset). */
  const withTemplate = (template: string | null) =>
    new OrderTimelineService(
      sql,
      moduleRef.get(OrdersRepository),
      moduleRef.get(ServiceTrace),
      moduleRef.get(PeerOperationsClient),
      moduleRef.get(OutboxService),
      template,
    );

  it("gives the trace id of the order's order.placed row and the link the template makes of it", async () => {
    const orderId = await placed();
    const traceparent = await traceparentOf(orderId);
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
    const traceId = traceparent.split('-')[1];

    const view = await moduleRef.get(OrderTimelineService).timelineOf(orderId);
    expect(view).toMatchObject({ orderId, status: 'PENDING', traceId, traceUrl: `http://localhost:16686/trace/${traceId}` });
    expect(view.unknown).toHaveLength(3);
  });

  it('gives each order its own trace', async () => {
    const [first, second] = [await placed(), await placed()];
    const timeline = moduleRef.get(OrderTimelineService);
    const [a, b] = [await timeline.timelineOf(first), await timeline.timelineOf(second)];
    expect(a.traceId).not.toBe(b.traceId);
    expect(a.traceUrl).toContain(a.traceId);
    expect(b.traceUrl).toContain(b.traceId);
  });

  it('puts the id in every {traceId} of the template, and gives no link without one', async () => {
    const orderId = await placed();
    const traceId = (await traceparentOf(orderId)).split('-')[1];
    const twice = await withTemplate('https://traces.example/{traceId}?q={traceId}').timelineOf(orderId);
    expect(twice.traceUrl).toBe(`https://traces.example/${traceId}?q=${traceId}`);
    expect(await withTemplate(null).timelineOf(orderId)).toMatchObject({ traceId, traceUrl: null });
  });

  it('gives neither once the order.placed row is gone (purged after OUTBOX_RETENTION_HOURS) or its traceparent is unreadable', async () => {
    const purged = await placed();
    await sql.query(`DELETE FROM outbox WHERE payload->>'orderId' = $1`, [purged]);
    expect(await moduleRef.get(OrderTimelineService).timelineOf(purged)).toMatchObject({ traceId: null, traceUrl: null });

    const garbled = await placed();
    await sql.query(`UPDATE outbox SET headers = headers || '{"traceparent": "00-not-a-trace"}' WHERE payload->>'orderId' = $1`, [garbled]);
    expect(await moduleRef.get(OrderTimelineService).timelineOf(garbled)).toMatchObject({ traceId: null, traceUrl: null });
  });
});
