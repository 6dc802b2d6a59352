/**
 * OrdersService on a real PostgreSQL database, without the app around it (immich's "medium test"):
 * the service, its repository, the catalog, the inbox and the outbox are real; the broker and HTTP
 * are not there. What it did is read back from the tables: orders, lines, outbox and inbox rows.
 */
import { ConflictException, ForbiddenException, NotFoundException, UnauthorizedException, UnprocessableEntityException } from '@nestjs/common';
import { type TestingModule } from '@nestjs/testing';
import { SpanKind } from '@opentelemetry/api';
import { DEMO_CATALOG, QUEUES, ROUTING_KEYS, type CreateOrderRequest, type OrderStatusEvent } from '@shop/contracts';
import { createDatabase, waitFor } from '@shop/testing';
import { randomUUID } from 'node:crypto';
import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { cancelTokenFor } from '../src/orders/cancel-token';
import { OrderStatusStream } from '../src/orders/order-status.stream';
import { ORDER_STATUS_CHANNEL, OrdersRepository } from '../src/orders/orders.repository';
import { OrdersService, type SagaResult } from '../src/orders/orders.service';
import { aTraceparent, recordSpans } from '../../../libs/testing/src/recorded-spans';
import { MEDIUM_CANCEL_TOKEN_SECRET, ordersMediumModule } from './orders-medium-module';

const [MUG, TEE] = DEMO_CATALOG;
const SECRET = MEDIUM_CANCEL_TOKEN_SECRET;

describe('OrdersService on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let moduleRef: TestingModule;
  let service: OrdersService;
  let sql: DataSource;
  const tracing = recordSpans();

  beforeAll(async () => {
    database = await createDatabase('orders_medium');
    moduleRef = await ordersMediumModule(database.url);
    service = moduleRef.get(OrdersService);
    sql = moduleRef.get(DataSource);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await database?.drop();
    await tracing.stop();
  });

  const request = (quantity = 2): CreateOrderRequest => ({
    customer: { name: 'Ada Lovelace', email: `ada-${randomUUID().slice(0, 8)}@example.com` },
    lines: [
      { sku: MUG.sku, quantity },
      { sku: TEE.sku, quantity: 1 },
    ],
    payment: { token: 'tok_success' },
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

  it('order ids are time-ordered (UUIDv7): PostgreSQL sorts them as they were placed, so the keys grow at the index edge', async () => {
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) {
      placed.push((await service.placeOrder(randomUUID(), request())).order.id);
      // Within one millisecond the order is random on purpose (order-id.ts): each order in a millisecond of its own.
      const placedAt = Date.now();
      while (Date.now() === placedAt) await new Promise((resolve) => setTimeout(resolve, 1));
    }

    expect(placed.map((id) => id[14])).toEqual(['7', '7', '7', '7', '7']);
    const sorted = await sql.query(`SELECT id FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id`, [placed]);
    expect(sorted.map((row: { id: string }) => row.id)).toEqual(placed);
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

  it('returns the cancel capability with the order and with its replay, and stores the payment token', async () => {
    const [key, body] = [randomUUID(), request()];
    const first = await service.placeOrder(key, body);
    const again = await service.placeOrder(key, body);
    expect(first.order.cancelToken).toBe(cancelTokenFor(first.order.id, SECRET));
    expect(again.order.cancelToken).toBe(first.order.cancelToken);
    expect(first.order).toMatchObject({ payment: null, stockReleased: false, cancellable: true });
    expect(await row(first.order.id)).toMatchObject({ payment_token: 'tok_success', payment_status: null, stock_released: false, cancelled_at: null });
  });

  it('applies a result once, and a contradicting one later changes nothing', async () => {
    const { order } = await service.placeOrder(randomUUID(), request());
    const reserved = result(order.id, 'stock.reserved');
    await stock([reserved]);
    await stock([reserved]);
    expect(await status(order.id)).toEqual({ status: 'RESERVED', status_reason: null });

    const contradictions = await ignoredCount('stock_results_ignored_total', 'contradiction');
    await stock([result(order.id, 'stock.rejected', 'too late')]);
    expect(await status(order.id)).toEqual({ status: 'RESERVED', status_reason: null });
    expect(await ignoredCount('stock_results_ignored_total', 'contradiction')).toBe(contradictions + 1);
    expect(await sql.query(`SELECT message_id FROM inbox WHERE message_id = $1`, [reserved.messageId])).toHaveLength(1);
    expect(await lifecycle(order.id)).toEqual(['order.placed', 'order.reserved']);
  });

  it('a rejection keeps its reason', async () => {
    const { order } = await service.placeOrder(randomUUID(), request());
    await stock([result(order.id, 'stock.rejected', 'MUG-001 is out of stock')]);
    expect(await status(order.id)).toEqual({ status: 'REJECTED', status_reason: 'MUG-001 is out of stock' });
    expect((await outboxOf(order.id, 'order.rejected'))[0]).toMatchObject({ cause: 'stock', reason: 'MUG-001 is out of stock' });
  });

  it('placed, reserved, authorized, captured: RESERVED with order.reserved carrying the token, then CONFIRMED, then the capture', async () => {
    const { order } = await service.placeOrder(randomUUID(), request());
    await stock([result(order.id, 'stock.reserved')]);
    expect(await row(order.id)).toMatchObject({ status: 'RESERVED', payment_status: null });
    expect((await outboxOf(order.id, 'order.reserved'))[0]).toMatchObject({
      orderId: order.id,
      payment: { token: 'tok_success' },
      totalCents: order.totalCents,
      customer: order.customer,
    });

    await payment([result(order.id, 'payment.authorized')]);
    expect(await row(order.id)).toMatchObject({ status: 'CONFIRMED', payment_status: 'authorized' });
    await payment([result(order.id, 'payment.captured')]);
    expect(await row(order.id)).toMatchObject({ status: 'CONFIRMED', payment_status: 'captured', stock_released: false });
    expect(await lifecycle(order.id)).toEqual(['order.placed', 'order.reserved', 'order.confirmed']);
    expect(await service.getOrder(order.id)).toMatchObject({ status: 'CONFIRMED', payment: { status: 'captured', reason: null }, cancellable: true });
  });

  it('a declined payment rejects the order with the provider reason, and order.rejected says cause payment', async () => {
    const { order } = await service.placeOrder(randomUUID(), request());
    await stock([result(order.id, 'stock.reserved')]);
    await payment([result(order.id, 'payment.declined', 'Your card has insufficient funds. Try another card.')]);

    expect(await row(order.id)).toMatchObject({
      status: 'REJECTED',
      status_reason: 'payment declined: Your card has insufficient funds. Try another card.',
      payment_status: 'declined',
      payment_reason: 'Your card has insufficient funds. Try another card.',
    });
    const rejected = await outboxOf(order.id, 'order.rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ cause: 'payment', reason: 'payment declined: Your card has insufficient funds. Try another card.' });

    await stock([result(order.id, 'stock.released')]);
    expect(await service.getOrder(order.id)).toMatchObject({ status: 'REJECTED', stockReleased: true, cancellable: false });
  });

  it.each([
    { from: 'PENDING', answers: [] as const, paymentHeld: false },
    { from: 'RESERVED', answers: ['stock.reserved'] as const, paymentHeld: false },
    { from: 'CONFIRMED', answers: ['stock.reserved', 'payment.authorized'] as const, paymentHeld: true },
  ])(
    'a cancel from $from: CANCELLED with one order.cancelled (previousStatus $from, paymentHeld $paymentHeld), however often asked',
    async ({ from, answers, paymentHeld }) => {
      const { order } = await service.placeOrder(randomUUID(), request());
      for (const type of answers) await (type.startsWith('stock') ? stock : payment)([result(order.id, type)]);
      expect(await status(order.id)).toMatchObject({ status: from });
      const owner = { cancelToken: order.cancelToken, sessionEmail: null };

      const first = await service.cancelOrder(order.id, owner, 'ordered twice');
      const second = await service.cancelOrder(order.id, owner, null);

      expect(first).toMatchObject({ cancelledNow: true, order: { status: 'CANCELLED', cancellable: false } });
      expect(second).toMatchObject({ cancelledNow: false, order: { status: 'CANCELLED' } });
      expect(await row(order.id)).toMatchObject({
        status: 'CANCELLED',
        status_reason: 'cancelled by the shopper: ordered twice',
        cancelled_at: expect.any(Date),
      });
      const cancelled = await outboxOf(order.id, 'order.cancelled');
      expect(cancelled).toHaveLength(1);
      expect(cancelled[0]).toMatchObject({ orderId: order.id, previousStatus: from, paymentHeld, customer: order.customer });
    },
  );

  it('after a cancel, a late reservation and a late authorization change nothing and are counted; the release and the void are recorded', async () => {
    const { order } = await service.placeOrder(randomUUID(), request());
    await service.cancelOrder(order.id, { cancelToken: null, sessionEmail: order.customer.email }, null);
    const [lateStock, latePayment] = [await ignoredCount('stock_results_ignored_total', 'late'), await ignoredCount('payment_results_ignored_total', 'late')];

    await stock([result(order.id, 'stock.reserved')]);
    await payment([result(order.id, 'payment.authorized')]);
    expect(await row(order.id)).toMatchObject({ status: 'CANCELLED', payment_status: null, stock_released: false });
    expect(await ignoredCount('stock_results_ignored_total', 'late')).toBe(lateStock + 1);
    expect(await ignoredCount('payment_results_ignored_total', 'late')).toBe(latePayment + 1);
    expect(await lifecycle(order.id)).toEqual(['order.placed', 'order.cancelled']);

    await stock([result(order.id, 'stock.released')]);
    await payment([result(order.id, 'payment.voided')]);
    expect(await row(order.id)).toMatchObject({ status: 'CANCELLED', payment_status: 'voided', stock_released: true });
  });

  it('a refund is never undone by a late capture', async () => {
    const { order } = await service.placeOrder(randomUUID(), request());
    await stock([result(order.id, 'stock.reserved')]);
    await payment([result(order.id, 'payment.authorized')]);
    await service.cancelOrder(order.id, { cancelToken: order.cancelToken, sessionEmail: null }, null);
    await payment([result(order.id, 'payment.refunded')]);
    await payment([result(order.id, 'payment.captured')]);
    expect(await row(order.id)).toMatchObject({ status: 'CANCELLED', payment_status: 'refunded' });
  });

  it('a rejected order cannot be cancelled: 409 naming its status, and nothing is written', async () => {
    const { order } = await service.placeOrder(randomUUID(), request());
    await stock([result(order.id, 'stock.rejected', 'MUG-001 is out of stock')]);
    const cancelling = service.cancelOrder(order.id, { cancelToken: order.cancelToken, sessionEmail: null }, null);
    await expect(cancelling).rejects.toBeInstanceOf(ConflictException);
    await expect(service.cancelOrder(order.id, { cancelToken: order.cancelToken, sessionEmail: null }, null)).rejects.toMatchObject({
      response: { status: 'REJECTED', message: expect.stringMatching(/is REJECTED/) },
    });
    expect(await row(order.id)).toMatchObject({ status: 'REJECTED', cancelled_at: null });
    expect(await outboxOf(order.id, 'order.cancelled')).toHaveLength(0);
  });

  it('a cancel needs the order token or its shopper session: 401 without, 403 with another, 404 for no such order', async () => {
    const { order } = await service.placeOrder(randomUUID(), request());
    const { order: other } = await service.placeOrder(randomUUID(), request());
    await expect(service.cancelOrder(order.id, { cancelToken: null, sessionEmail: null }, null)).rejects.toBeInstanceOf(UnauthorizedException);
    await expect(service.cancelOrder(order.id, { cancelToken: other.cancelToken, sessionEmail: null }, null)).rejects.toBeInstanceOf(ForbiddenException);
    await expect(service.cancelOrder(order.id, { cancelToken: null, sessionEmail: other.customer.email }, null)).rejects.toBeInstanceOf(ForbiddenException);
    await expect(service.cancelOrder(randomUUID(), { cancelToken: order.cancelToken, sessionEmail: null }, null)).rejects.toBeInstanceOf(NotFoundException);
    expect(await row(order.id)).toMatchObject({ status: 'PENDING' });
    expect(await outboxOf(order.id, 'order.cancelled')).toHaveLength(0);
  });

  it('stuck: PENDING since long ago (inventory silent), RESERVED for long (payment silent), an old cancel never undone and an old confirmation never captured; not a recent RESERVED nor an old settled order', async () => {
    const repository = moduleRef.get(OrdersRepository);
    const place = async () => (await service.placeOrder(randomUUID(), request())).order.id;
    const [pending, reserved, recentlyReserved, confirmed, uncaptured, undone, notUndone] = [
      await place(),
      await place(),
      await place(),
      await place(),
      await place(),
      await place(),
      await place(),
    ];
    for (const id of [reserved, recentlyReserved, confirmed, uncaptured, undone, notUndone]) await stock([result(id, 'stock.reserved')]);
    await payment([confirmed, uncaptured, undone, notUndone].map((id) => result(id, 'payment.authorized')));
    await payment([result(confirmed, 'payment.captured')]);
    // Cancelled while authorized: one has had its stock back and its hold voided since, the other has not.
    await sql.query(`UPDATE orders SET status = 'CANCELLED', cancelled_at = now() WHERE id = ANY($1::uuid[])`, [[undone, notUndone]]);
    await sql.query(`UPDATE orders SET stock_released = true, payment_status = 'voided' WHERE id = $1`, [undone]);
    const all = [pending, reserved, recentlyReserved, confirmed, uncaptured, undone, notUndone];
    await sql.query(`UPDATE orders SET created_at = now() - interval '20 minutes' WHERE id = ANY($1::uuid[])`, [all]);
    await sql.query(`UPDATE orders SET updated_at = now() - interval '10 minutes' WHERE id = ANY($1::uuid[])`, [[reserved, confirmed, uncaptured, undone]]);
    await sql.query(`UPDATE orders SET updated_at = now() - interval '9 minutes' WHERE id = $1`, [notUndone]);

    const stuck = await repository.findStuck(sql.manager, 300, 10);
    // Oldest first: the PENDING one (placed 20 minutes ago), then the three that stopped 10 and 9 minutes ago.
    expect(stuck[0]).toMatchObject({ id: pending, status: 'PENDING' });
    expect(stuck.at(-1)).toMatchObject({ id: notUndone, status: 'CANCELLED' });
    expect(stuck.map(({ id, status }) => ({ id, status }))).toEqual(
      expect.arrayContaining([
        { id: reserved, status: 'RESERVED' },
        { id: uncaptured, status: 'CONFIRMED' },
      ]),
    );
    expect(stuck).toHaveLength(4);
    expect(await repository.countStuck(sql.manager, 300)).toBe(4);
    await sql.query(`UPDATE orders SET created_at = now(), updated_at = now() WHERE id = ANY($1::uuid[])`, [all]);
  });

  it('pushes a status change to the streams that follow its order as a span "sse push" in the trace of the answer that made it, whichever instance listens', async () => {
    const { order } = await service.placeOrder(randomUUID(), request());
    // Two instances' streams of changes: one a browser follows the order on, one that only hears every change.
    const [following, other] = [statusStream(), statusStream()];
    try {
      await waitFor(async () => (await sql.query(LISTENING))[0].count === 2, { what: 'both instances listening' });
      const slot = following.open(order.id, '127.0.0.1');
      if (typeof slot === 'string') throw new Error(`no stream: ${slot}`);
      const pushed: OrderStatusEvent[] = [];
      let ended = 0;
      following.follow(order.id, { send: (event) => pushed.push(event), end: () => ended++ });
      await waitFor(() => pushed.length === 1, { what: 'the current status' });
      // A stream of an order not stored hears nothing of this one; each followed order has its own followers.
      const elsewhere: OrderStatusEvent[] = [];
      const unfollowOther = following.follow(randomUUID(), { send: (event) => elsewhere.push(event), end: () => elsewhere.push(null!) });
      expect(following.followedOrders).toBe(2);

      // The answer's delivery span (a batch's other messages would be in other traces); nothing of it is active here.
      const answer = aTraceparent();
      await stock([{ ...result(order.id, 'stock.reserved'), traceparent: answer.traceparent }]);
      await waitFor(() => pushed.some((event) => event.status === 'RESERVED'), { what: 'the change pushed' });
      const pushes = () => tracing.spans().filter((span) => span.name === 'sse push' && span.attributes['shop.order.id'] === order.id);
      expect(pushes()).toHaveLength(1);
      const [push] = pushes();
      expect(push.kind).toBe(SpanKind.PRODUCER);
      expect(push.attributes).toEqual({ 'shop.order.id': order.id, 'shop.order.status': 'RESERVED', 'shop.sse.stream_count': 1 });
      expect(push.spanContext().traceId).toBe(answer.traceId);
      expect(push.parentSpanContext?.spanId).toBe(answer.spanId);

      // A notification that is no order's status is skipped; then one as an instance from before traces sends it (no
      // traceparent): pushed all the same, in a trace of its own.
      await sql.query(`SELECT pg_notify($1, 'not a status')`, [ORDER_STATUS_CHANNEL]);
      await sql.query(
        `WITH updated AS (UPDATE orders SET status = 'REJECTED', stock_released = true, updated_at = now() WHERE id = $1 RETURNING *)
         SELECT pg_notify($2, json_build_object('id', id, 'status', status, 'statusReason', status_reason, 'paymentStatus', payment_status,
           'paymentReason', payment_reason, 'stockReleased', stock_released, 'updatedAt', updated_at)::text) FROM updated`,
        [order.id, ORDER_STATUS_CHANNEL],
      );
      await waitFor(() => pushed.some((event) => event.status === 'REJECTED'), { what: 'the old-style change pushed' });
      const old = pushes().find((span) => span.attributes['shop.order.status'] === 'REJECTED')!;
      expect(old.parentSpanContext).toBeUndefined();
      expect(old.spanContext().traceId).not.toBe(answer.traceId);
      // REJECTED with its stock back settles the order: its stream ended, once, and follows it no more.
      expect(pushed.map((event) => event.status)).toEqual(['PENDING', 'RESERVED', 'REJECTED']);
      expect(ended).toBe(1);
      expect(following.followedOrders).toBe(1);
      unfollowOther();
      slot.release();
      expect(elsewhere).toEqual([]);
      // Nobody follows anything any more: nothing is kept.
      expect(following.followedOrders).toBe(0);
      expect(other.followedOrders).toBe(0);
    } finally {
      following.onModuleDestroy();
      other.onModuleDestroy();
    }
  });

  it('ends the streams that follow an order when the instance shuts down, and not one that went away before', async () => {
    const { order } = await service.placeOrder(randomUUID(), request());
    const stream = statusStream();
    const [left, staying] = [
      { sent: [] as string[], ended: 0 },
      { sent: [] as string[], ended: 0 },
    ];
    const unfollowLeft = stream.follow(order.id, { send: (event) => left.sent.push(event.status), end: () => left.ended++ });
    stream.follow(order.id, { send: (event) => staying.sent.push(event.status), end: () => staying.ended++ });
    await waitFor(() => left.sent.length === 1 && staying.sent.length === 1, { what: 'the current status on both' });
    unfollowLeft();
    unfollowLeft();
    expect(stream.followedOrders).toBe(1);
    stream.onModuleDestroy();
    expect([left, staying]).toEqual([
      { sent: ['PENDING'], ended: 0 },
      { sent: ['PENDING'], ended: 1 },
    ]);
    expect(stream.followedOrders).toBe(0);
    // Asked to follow once shut down, it ends at once.
    let endedAtOnce = false;
    stream.follow(order.id, { send: () => undefined, end: () => (endedAtOnce = true) });
    expect(endedAtOnce).toBe(true);
    expect(stream.followedOrders).toBe(0);
  });

  /** An instance's stream of status changes, listening. */
  const statusStream = () => {
    const stream = new OrderStatusStream(sql, moduleRef.get(OrdersRepository), { maxPerClient: 4, maxTotal: 8, heartbeatMs: 15_000 });
    stream.onModuleInit();
    return stream;
  };
  /** The database's connections waiting on LISTEN (the last statement of an idle listener). */
  const LISTENING = `SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`;
  const result = (orderId: string, type: SagaResult['type'], reason: string | null = null): SagaResult => ({ messageId: randomUUID(), type, orderId, reason });
  const stock = (results: SagaResult[]) => service.applyResults(QUEUES.ordersStockResults, results);
  const payment = (results: SagaResult[]) => service.applyResults(QUEUES.ordersPaymentResults, results);
  const row = async (id: string) => (await sql.query(`SELECT * FROM orders WHERE id = $1`, [id]))[0];
  const outboxOf = async (id: string, routingKey: string): Promise<Record<string, unknown>[]> =>
    (await sql.query(`SELECT payload FROM outbox WHERE payload->>'orderId' = $1 AND routing_key = $2`, [id, routingKey])).map(
      (r: { payload: Record<string, unknown> }) => r.payload,
    );
  const lifecycle = async (id: string): Promise<string[]> =>
    (await sql.query(`SELECT routing_key FROM outbox WHERE payload->>'orderId' = $1 ORDER BY created_at`, [id])).map(
      (r: { routing_key: string }) => r.routing_key,
    );
  const ignoredCount = async (metric: string, reason: string): Promise<number> =>
    (await register.getSingleMetric(metric)!.get()).values.find((value) => value.labels.reason === reason)?.value ?? 0;
});
