/**
 * The payment service in-process on its own PostgreSQL database and RabbitMQ vhost, paying through
 * the provider stand-in (apps/payment-provider, on its own database: test/provider.ts). Order events are published to
 * shop.orders as order-service's outbox publishes them; what it did is read back from its payments
 * table, the payment results it published to shop.payments, and the provider's ledger.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { EXCHANGES, QUEUES, type OrderCancelled, type OrderConfirmed, type OrderReserved, type ServiceTraceView } from '@shop/contracts';
import { createDatabase, createVhost, freePort, waitFor } from '@shop/testing';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { register } from 'prom-client';
import { createPaymentService } from '../src/app';
import { loadPaymentServiceConfig } from '../src/config';
import { PaymentsService } from '../src/payments/payments.service';
import { startProvider, type ProviderHandle } from './provider';

const ADMIN_TOKEN = 'payments-admin-token';
const TIMEOUT_MS = 1_000;

const orderState = (orderId: string) => ({
  orderId,
  customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
  lines: [{ sku: 'MUG-001', productName: 'Stoneware Mug', quantity: 2, unitPriceCents: 1800 }],
  totalCents: 3600,
  currency: 'USD',
  placedAt: '2026-12-06T01:30:00.000Z',
});
const reserved = (orderId: string, token = 'tok_success'): OrderReserved => ({
  schemaVersion: 1,
  ...orderState(orderId),
  payment: { token },
  reservedAt: new Date().toISOString(),
});
const confirmed = (orderId: string): OrderConfirmed => ({ schemaVersion: 1, ...orderState(orderId), confirmedAt: new Date().toISOString() });
const cancelled = (orderId: string, previousStatus: OrderCancelled['previousStatus'], paymentHeld: boolean): OrderCancelled => ({
  schemaVersion: 1,
  ...orderState(orderId),
  previousStatus,
  paymentHeld,
  cancelledAt: new Date().toISOString(),
});

interface PaymentResult {
  type: string;
  messageId: string;
  payload: { orderId: string; authorizationId: string; amountCents: number; currency: string; code?: string; reason?: string };
}

/** This process's count of provider calls with these labels (the service runs in-process). */
async function providerCalls(operation: string, result: string): Promise<number> {
  const metric = register.getSingleMetric('payment_provider_calls_total');
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((value) => value.labels.operation === operation && value.labels.result === result).reduce((sum, value) => sum + value.value, 0);
}

describe('payment-service', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let sql: Pool;
  let amqp: ChannelModel;
  let channel: Channel;
  let app: NestFastifyApplication;
  let url: string;
  let provider: ProviderHandle;
  let providerPort: number;
  let providerDatabase: Awaited<ReturnType<typeof createDatabase>>;
  /** Every payment result the service published, in the order they arrived. */
  const published: PaymentResult[] = [];

  beforeAll(async () => {
    [database, providerDatabase, vhost, providerPort] = await Promise.all([
      createDatabase('payments_it'),
      createDatabase('provider_it'),
      createVhost('payments-it'),
      freePort(),
    ]);
    provider = await startProvider({ port: providerPort, databaseUrl: providerDatabase.url });
    app = await createPaymentService(
      loadPaymentServiceConfig({
        HOST: '127.0.0.1',
        PORT: '0',
        METRICS_PORT: '0',
        DATABASE_URL: database.url,
        RABBITMQ_URL: vhost.url,
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
        // Two attempts only: a provider outage that counted as attempts would dead-letter within two retries.
        RETRY_DELAYS_MS: '200,400',
        MAX_ATTEMPTS: '2',
        ADMIN_TOKEN,
        PAYMENT_PROVIDER_URL: provider.url,
        PAYMENT_PROVIDER_TIMEOUT_MS: String(TIMEOUT_MS),
      }),
    );
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    sql = new Pool({ connectionString: database.url, max: 2 });
    amqp = await connect(vhost.url);
    channel = await amqp.createChannel();
    // Where order-service's orders.payment-results would be: the results are routable, and the test reads them.
    await channel.assertExchange(EXCHANGES.payments, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, EXCHANGES.payments, 'payment.*');
    await channel.consume(queue, (message) => {
      if (!message) return;
      published.push({ type: message.fields.routingKey, messageId: message.properties.messageId, payload: JSON.parse(message.content.toString()) });
      channel.ack(message);
    });
    await waitFor(
      async () => {
        const probe = await amqp.createChannel();
        probe.on('error', () => undefined);
        try {
          return (await probe.checkQueue(QUEUES.paymentsOrderPayments)).consumerCount > 0;
        } finally {
          await probe.close().catch(() => undefined);
        }
      },
      { what: 'the service consuming its queue' },
    );
  });

  afterAll(async () => {
    await app?.close();
    await channel?.close().catch(() => undefined);
    await amqp?.close().catch(() => undefined);
    await sql?.end();
    await provider?.close();
    await Promise.all([database?.drop(), providerDatabase?.drop(), vhost?.remove()]);
  });

  const publish = (
    routingKey: 'order.reserved' | 'order.confirmed' | 'order.cancelled',
    payload: OrderReserved | OrderConfirmed | OrderCancelled,
    messageId: string = randomUUID(),
  ) => {
    channel.publish(EXCHANGES.orders, routingKey, Buffer.from(JSON.stringify(payload)), {
      messageId,
      type: routingKey,
      correlationId: payload.orderId,
      persistent: true,
      contentType: 'application/json',
    });
    return messageId;
  };
  const paymentOf = async (orderId: string) =>
    (
      await sql.query(
        `SELECT status, authorization_id, amount_cents, currency, decline_code, decline_reason,
                captured_at IS NOT NULL AS captured, voided_at IS NOT NULL AS voided, refunded_at IS NOT NULL AS refunded
         FROM payments WHERE order_id = $1`,
        [orderId],
      )
    ).rows[0];
  const statusOf = async (orderId: string): Promise<string | undefined> => (await paymentOf(orderId))?.status;
  const resultsOf = (orderId: string) => published.filter((result) => result.payload.orderId === orderId);
  const kindsOf = async (orderId: string) => (await provider.ledger(orderId)).map((entry) => entry.kind);
  const handled = async (messageIds: string[]) =>
    (await sql.query(`SELECT count(*)::int AS n FROM inbox WHERE message_id = ANY($1)`, [messageIds])).rows[0].n === new Set(messageIds).size;
  const deadLetters = async () => (await sql.query(`SELECT message_id AS "messageId", reason FROM dead_letters`)).rows;
  /** Nothing left in the queue: every copy published so far was delivered (and, with `handled`, committed or skipped). */
  const drained = async () => (await channel.checkQueue(QUEUES.paymentsOrderPayments)).messageCount === 0;

  it('authorizes the reserved order, captures it once confirmed, and publishes both results', async () => {
    const orderId = randomUUID();
    publish('order.reserved', reserved(orderId));
    await waitFor(async () => (await statusOf(orderId)) === 'authorized', { what: 'the payment authorized' });
    publish('order.confirmed', confirmed(orderId));
    await waitFor(async () => (await statusOf(orderId)) === 'captured', { what: 'the payment captured' });
    await waitFor(() => resultsOf(orderId).length === 2, { what: 'two results published' });

    expect(await kindsOf(orderId)).toEqual(['authorize', 'capture']);
    const [ledger] = await provider.ledger(orderId);
    expect(await paymentOf(orderId)).toMatchObject({
      status: 'captured',
      authorization_id: ledger.authorizationId,
      amount_cents: 3600,
      currency: 'USD',
      decline_code: null,
      captured: true,
    });
    expect(resultsOf(orderId).map((result) => [result.type, result.payload])).toEqual([
      ['payment.authorized', expect.objectContaining({ orderId, authorizationId: ledger.authorizationId, amountCents: 3600, currency: 'USD' })],
      ['payment.captured', expect.objectContaining({ orderId, authorizationId: ledger.authorizationId, amountCents: 3600, currency: 'USD' })],
    ]);

    // The operators' timeline: the provider's answers and the results written and published.
    const trace = await fetch(`${url}/api/operations/payments/orders/${orderId}/trace`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(trace.status).toBe(200);
    const details = ((await trace.json()) as ServiceTraceView).entries.map((entry) => entry.detail);
    expect(details).toEqual(
      expect.arrayContaining([
        `36.00 USD authorized at the provider (authorization ${ledger.authorizationId})`,
        '36.00 USD captured at the provider',
        'payment.captured written to the outbox',
      ]),
    );
  });

  it('publishes payment.declined with the provider’s code and reason in plain words, holds and captures nothing', async () => {
    const orderId = randomUUID();
    publish('order.reserved', reserved(orderId, 'tok_insufficient_funds'));
    await waitFor(() => resultsOf(orderId).length === 1, { what: 'the decline published' });
    expect(resultsOf(orderId)).toEqual([
      expect.objectContaining({
        type: 'payment.declined',
        payload: expect.objectContaining({ orderId, code: 'insufficient_funds', reason: 'Your card has insufficient funds.', amountCents: 3600 }),
      }),
    ]);
    expect(await paymentOf(orderId)).toMatchObject({
      status: 'declined',
      decline_code: 'insufficient_funds',
      decline_reason: 'Your card has insufficient funds.',
    });

    // The shopper cancels the rejected order meanwhile: nothing is held, so nothing is given back.
    const cancel = publish('order.cancelled', cancelled(orderId, 'RESERVED', false));
    await waitFor(() => handled([cancel]), { what: 'the cancel handled' });
    expect(await kindsOf(orderId)).toEqual([]);
    expect(await statusOf(orderId)).toBe('declined');
    expect(resultsOf(orderId)).toHaveLength(1);
  });

  it('refunds a captured payment once when the order is cancelled, however often the cancel comes', async () => {
    const orderId = randomUUID();
    publish('order.reserved', reserved(orderId));
    await waitFor(async () => (await statusOf(orderId)) === 'authorized', { what: 'the payment authorized' });
    publish('order.confirmed', confirmed(orderId));
    await waitFor(async () => (await statusOf(orderId)) === 'captured', { what: 'the payment captured' });
    const cancels = [publish('order.cancelled', cancelled(orderId, 'CONFIRMED', true)), publish('order.cancelled', cancelled(orderId, 'CONFIRMED', true))];
    await waitFor(() => handled(cancels), { what: 'both cancels handled' });
    await waitFor(() => resultsOf(orderId).length === 3, { what: 'three results published' });

    expect(await kindsOf(orderId)).toEqual(['authorize', 'capture', 'refund']);
    expect(await paymentOf(orderId)).toMatchObject({ status: 'refunded', captured: true, refunded: true, voided: false });
    expect(resultsOf(orderId).map((result) => result.type)).toEqual(['payment.authorized', 'payment.captured', 'payment.refunded']);
  });

  it('voids an authorization cancelled before its order was confirmed, and a late order.confirmed captures nothing', async () => {
    const orderId = randomUUID();
    publish('order.reserved', reserved(orderId));
    await waitFor(async () => (await statusOf(orderId)) === 'authorized', { what: 'the payment authorized' });
    publish('order.cancelled', cancelled(orderId, 'RESERVED', true));
    await waitFor(async () => (await statusOf(orderId)) === 'voided', { what: 'the payment voided' });
    const late = publish('order.confirmed', confirmed(orderId));
    await waitFor(() => handled([late]), { what: 'the late confirmation handled' });

    expect(await kindsOf(orderId)).toEqual(['authorize', 'void']);
    expect(await paymentOf(orderId)).toMatchObject({ status: 'voided', voided: true, captured: false });
    await waitFor(() => resultsOf(orderId).length === 2, { what: 'two results published' });
    expect(resultsOf(orderId).map((result) => result.type)).toEqual(['payment.authorized', 'payment.voided']);
  });

  it('remembers a cancel that came before the order was reserved: the late order.reserved authorizes nothing', async () => {
    const orderId = randomUUID();
    const cancel = publish('order.cancelled', cancelled(orderId, 'PENDING', false));
    await waitFor(async () => (await statusOf(orderId)) === 'cancelled-before-authorization', { what: 'the tombstone' });
    const late = publish('order.reserved', reserved(orderId));
    await waitFor(() => handled([cancel, late]), { what: 'the late order.reserved handled' });

    expect(await kindsOf(orderId)).toEqual([]);
    expect(await paymentOf(orderId)).toMatchObject({ status: 'cancelled-before-authorization', authorization_id: null, amount_cents: null });
    expect(resultsOf(orderId)).toEqual([]);
    expect((await sql.query(`SELECT count(*)::int AS n FROM outbox WHERE payload->>'orderId' = $1`, [orderId])).rows[0].n).toBe(0);
  });

  it('authorizes once for a message delivered twice and for the same order under two message ids, even when they arrive together', async () => {
    const orderId = randomUUID();
    const messageId = randomUUID();
    const copies = [
      publish('order.reserved', reserved(orderId), messageId),
      publish('order.reserved', reserved(orderId), messageId),
      publish('order.reserved', reserved(orderId)),
    ];
    await waitFor(() => handled(copies), { what: 'every copy handled' });
    await waitFor(drained, { what: 'the queue drained' });
    await waitFor(() => resultsOf(orderId).length === 1, { what: 'the authorization published' });

    expect(await kindsOf(orderId)).toEqual(['authorize']);
    expect(await statusOf(orderId)).toBe('authorized');
    expect(resultsOf(orderId).map((result) => result.type)).toEqual(['payment.authorized']);
    expect((await sql.query(`SELECT count(*)::int AS n FROM outbox WHERE payload->>'orderId' = $1`, [orderId])).rows[0].n).toBe(1);
  });

  it('serialises the messages of one order across concurrent handlers (replicas): one authorization, and a cancel that voids it or leaves a tombstone', async () => {
    const payments = app.get(PaymentsService);
    const message = <T extends 'order.reserved' | 'order.cancelled'>(type: T, payload: T extends 'order.reserved' ? OrderReserved : OrderCancelled) =>
      ({ type, payload, messageId: randomUUID() }) as Parameters<PaymentsService['handle']>[0][number];
    for (let round = 0; round < 3; round++) {
      const orderId = randomUUID();
      await Promise.all([
        payments.handle([message('order.reserved', reserved(orderId))]),
        payments.handle([message('order.reserved', reserved(orderId))]),
        payments.handle([message('order.cancelled', cancelled(orderId, 'RESERVED', true))]),
      ]);
      const status = await statusOf(orderId);
      // Whichever came first, the money is held at most once and released if held.
      expect([
        ['voided', ['authorize', 'void']],
        ['cancelled-before-authorization', []],
      ]).toContainEqual([status, await kindsOf(orderId)]);
    }
  });

  it('refunds when a void finds the authorization already captured (a capture that reached the provider but not the commit)', async () => {
    const orderId = randomUUID();
    publish('order.reserved', reserved(orderId));
    await waitFor(async () => (await statusOf(orderId)) === 'authorized', { what: 'the payment authorized' });
    const { authorization_id: authorizationId } = await paymentOf(orderId);
    // The capture of order.confirmed, as the provider saw it, while the service's transaction rolled back.
    const capture = await fetch(`${provider.url}/v1/authorizations/${authorizationId}/capture`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk_test_shop', 'content-type': 'application/json', 'idempotency-key': `${orderId}:capture` },
      body: '{}',
    });
    expect(capture.status).toBe(200);

    publish('order.cancelled', cancelled(orderId, 'CONFIRMED', true));
    await waitFor(async () => (await statusOf(orderId)) === 'refunded', { what: 'the payment refunded' });
    // The order.confirmed being retried finds the payment refunded: nothing more.
    const retried = publish('order.confirmed', confirmed(orderId));
    await waitFor(() => handled([retried]), { what: 'the confirmation handled' });
    expect(await kindsOf(orderId)).toEqual(['authorize', 'capture', 'refund']);
    await waitFor(() => resultsOf(orderId).length === 2, { what: 'two results published' });
    expect(resultsOf(orderId).map((result) => result.type)).toEqual(['payment.authorized', 'payment.refunded']);
  });

  it('declines an order whose card token the provider never issued (the shopper enters the card again), so the order ends', async () => {
    const orderId = randomUUID();
    publish('order.reserved', reserved(orderId, 'tok_neverIssuedByTheProvider'));
    await waitFor(() => resultsOf(orderId).length === 1, { what: 'the decline published' });
    expect(resultsOf(orderId)).toEqual([
      expect.objectContaining({ type: 'payment.declined', payload: expect.objectContaining({ orderId, code: 'invalid_token', amountCents: 3600 }) }),
    ]);
    expect(await paymentOf(orderId)).toMatchObject({ status: 'declined', decline_code: 'invalid_token' });
    expect(await kindsOf(orderId)).toEqual([]);
    expect(await deadLetters()).toEqual([]);
  });

  it('dead-letters a request the provider refuses (400) with its reason, at once, and authorizes nothing', async () => {
    const orderId = randomUUID();
    const messageId = publish('order.reserved', { ...reserved(orderId), totalCents: 0 });
    await waitFor(async () => (await deadLetters()).some((letter) => letter.messageId === messageId), { what: 'the message dead-lettered' });
    const letter = (await deadLetters()).find((candidate) => candidate.messageId === messageId);
    expect(letter.reason).toMatch(new RegExp(`^${orderId}:authorize: the provider refused the authorize request: 400 `));
    // Only the intent: nothing authorized (a cancel would ask again with the same key and release whatever it held).
    expect(await paymentOf(orderId)).toMatchObject({ status: 'authorizing', authorization_id: null });
    expect(await kindsOf(orderId)).toEqual([]);
    await sql.query(`DELETE FROM dead_letters WHERE message_id = $1`, [messageId]);
  });

  it('retries an authorization whose answer never came with the same key: the retry gets the result, the money is held once', async () => {
    const timeoutsBefore = await providerCalls('authorize', 'timeout');
    const orderId = randomUUID();
    publish('order.reserved', reserved(orderId, 'tok_hang'));
    await waitFor(async () => (await statusOf(orderId)) === 'authorized', { what: 'the payment authorized on a retry', timeoutMs: 30_000 });

    expect(await providerCalls('authorize', 'timeout')).toBeGreaterThan(timeoutsBefore);
    expect(await kindsOf(orderId)).toEqual(['authorize']);
    const [ledger] = await provider.ledger(orderId);
    expect((await paymentOf(orderId)).authorization_id).toBe(ledger.authorizationId);
    await waitFor(() => resultsOf(orderId).length === 1, { what: 'the authorization published' });
    expect(resultsOf(orderId)[0]).toMatchObject({ type: 'payment.authorized', payload: { authorizationId: ledger.authorizationId } });
    expect(await deadLetters()).toEqual([]);
  });

  it('releases an authorization whose answer never came when the order is cancelled meanwhile: asked again with the same key, then voided', async () => {
    const orderId = randomUUID();
    publish('order.reserved', reserved(orderId, 'tok_hang'));
    // The provider held the money; its answer is on its way nowhere, and the service waits for it, holding the order's row.
    await waitFor(async () => (await kindsOf(orderId)).length === 1, { what: 'the authorization at the provider' });
    // The intent was committed before the call (a crash now would leave `authorizing`, never no row over a hold).
    expect(await statusOf(orderId)).toBe('authorizing');
    const cancel = publish('order.cancelled', cancelled(orderId, 'RESERVED', false));
    await waitFor(async () => (await statusOf(orderId)) === 'voided', { what: 'the hold voided', timeoutMs: 30_000 });
    await waitFor(() => handled([cancel]), { what: 'the cancel handled' });
    await waitFor(drained, { what: 'the retried order.reserved handled' });

    expect(await kindsOf(orderId)).toEqual(['authorize', 'void']);
    expect(await paymentOf(orderId)).toMatchObject({ status: 'voided', amount_cents: 3600, voided: true, captured: false });
    expect((await sql.query(`SELECT payment_token FROM payments WHERE order_id = $1`, [orderId])).rows).toEqual([{ payment_token: null }]);
    await waitFor(() => resultsOf(orderId).length === 1, { what: 'the void published' });
    expect(resultsOf(orderId).map((result) => result.type)).toEqual(['payment.voided']);
    expect(await deadLetters()).toEqual([]);
  });

  it('keeps an order waiting while the provider is down, without counting attempts, and pays it once the provider is back', async () => {
    await provider.close();
    const refusedBefore = await providerCalls('authorize', 'unavailable');
    const orderId = randomUUID();
    try {
      publish('order.reserved', reserved(orderId));
      // Twice as many tries as MAX_ATTEMPTS allows: counted, the message would be dead-lettered by now.
      await waitFor(async () => (await providerCalls('authorize', 'unavailable')) >= refusedBefore + 4, {
        what: 'the service retrying against the provider that is down',
        timeoutMs: 30_000,
      });
      expect(await paymentOf(orderId)).toMatchObject({ status: 'authorizing', authorization_id: null });
      // Readiness is the database only: the service stays ready while its provider is down.
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    } finally {
      provider = await startProvider({ port: providerPort, databaseUrl: providerDatabase.url });
    }
    await waitFor(async () => (await statusOf(orderId)) === 'authorized', { what: 'the payment authorized after the outage', timeoutMs: 30_000 });
    expect(await kindsOf(orderId)).toEqual(['authorize']);
    await waitFor(() => resultsOf(orderId).length === 1, { what: 'the authorization published' });
    expect(await deadLetters()).toEqual([]);
  });
});
