/**
 * The notification service in-process on its own PostgreSQL database and RabbitMQ vhost, sending
 * through a real SMTP server (smtp-server on 127.0.0.1, never a mocked transport). Events are
 * published to shop.orders as order-service's outbox publishes them; what it did is read back from
 * the mail server, the sent log and the queues.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { EXCHANGES, QUEUES, SHOP_NAME, type OrderConfirmed, type OrderPlaced, type OrderRejected } from '@shop/contracts';
import { createDatabase, createVhost, waitFor } from '@shop/testing';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createNotificationService } from '../src/app';
import { loadNotificationServiceConfig } from '../src/config';
import { keptDeadLetters } from './kept-dead-letters';
import { aTraceparent, parentOf, recordSpans, type ReadableSpan } from '../../../libs/testing/src/recorded-spans';
import { SmtpCatcher } from './smtp-catcher';

const SHOP_URL = 'https://shop.example';

const orderState = (orderId: string, email: string) => ({
  orderId,
  customer: { name: 'Ada <b>Lovelace</b> & Co', email },
  lines: [
    { sku: 'MUG-001', productName: 'Stoneware Mug', quantity: 2, unitPriceCents: 1800 },
    { sku: 'LMP-011', productName: 'Desk Lamp "Nova"', quantity: 1, unitPriceCents: 12_950 },
  ],
  totalCents: 2 * 1800 + 12_950,
  currency: 'USD',
  placedAt: '2026-12-02T01:30:00.000Z',
});
const placed = (orderId: string, email: string): OrderPlaced => ({ schemaVersion: 1, ...orderState(orderId, email) });
const confirmed = (orderId: string, email: string): OrderConfirmed => ({
  schemaVersion: 1,
  ...orderState(orderId, email),
  confirmedAt: new Date().toISOString(),
});
const rejected = (orderId: string, email: string): OrderRejected => ({
  schemaVersion: 1,
  ...orderState(orderId, email),
  reason: 'LMP-011 is out of stock: 1 requested, 0 available',
  cause: 'stock',
  rejectedAt: new Date().toISOString(),
});

describe('notification-service', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let sql: Pool;
  let amqp: ChannelModel;
  let channel: Channel;
  let app: NestFastifyApplication;
  let url: string;
  const smtp = new SmtpCatcher();
  const tracing = recordSpans();

  beforeAll(async () => {
    [database, vhost] = await Promise.all([createDatabase('notifications_it'), createVhost('notifications-it')]);
    await smtp.start();
    app = await createNotificationService(
      loadNotificationServiceConfig({
        HOST: '127.0.0.1',
        PORT: '0',
        METRICS_PORT: '0',
        DATABASE_URL: database.url,
        RABBITMQ_URL: vhost.url,
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
        // Two attempts only: an outage that counted as attempts would dead-letter within two retries.
        RETRY_DELAYS_MS: '200,400',
        MAX_ATTEMPTS: '2',
        SMTP_URL: smtp.url,
        SMTP_TIMEOUT_MS: '2000',
        SHOP_URL,
      }),
    );
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    sql = new Pool({ connectionString: database.url, max: 2 });
    amqp = await connect(vhost.url);
    channel = await amqp.createChannel();
    await subscribed();
  });

  /** The service connects to the broker after it starts: wait until it consumes its queue (declared by then). */
  const subscribed = () =>
    waitFor(
      async () => {
        const probe = await amqp.createChannel();
        probe.on('error', () => undefined);
        try {
          return (await probe.checkQueue(QUEUES.notificationsOrderEvents)).consumerCount > 0;
        } finally {
          await probe.close().catch(() => undefined);
        }
      },
      { what: 'the service consuming its queue' },
    );

  afterAll(async () => {
    await app?.close();
    await channel?.close().catch(() => undefined);
    await amqp?.close().catch(() => undefined);
    await sql?.end();
    await smtp.stop();
    await Promise.all([database?.drop(), vhost?.remove()]);
    await tracing.stop();
  });

  const publish = (
    routingKey: 'order.placed' | 'order.confirmed' | 'order.rejected',
    payload: object,
    messageId: string = randomUUID(),
    traceparent?: string,
  ) => {
    channel.publish(EXCHANGES.orders, routingKey, Buffer.from(JSON.stringify(payload)), {
      messageId,
      type: routingKey,
      persistent: true,
      contentType: 'application/json',
      ...(traceparent ? { headers: { traceparent } } : {}),
    });
    return messageId;
  };
  const sentLog = async (orderId: string) =>
    (
      await sql.query(
        `SELECT message_id, kind, recipient, status, smtp_response, email_message_id FROM sent_emails WHERE order_id = $1 ORDER BY sent_at, kind`,
        [orderId],
      )
    ).rows;
  const deadLetters = keptDeadLetters(() => sql);

  it('emails "received", "confirmed" and "could not confirm" with the items, the total, the link and a Message-ID derived from the event', async () => {
    const orderId = randomUUID();
    const email = `ada.${orderId.slice(0, 8)}@example.com`;
    publish('order.placed', placed(orderId, email));
    await waitFor(() => smtp.emailsOf(orderId).length === 1, { what: 'the received email' });
    publish('order.confirmed', confirmed(orderId, email));
    await waitFor(() => smtp.emailsOf(orderId).length === 2, { what: 'the confirmed email' });

    const [received, confirmation] = smtp.emailsOf(orderId);
    expect(received.headers.get('subject')).toBe('We received your order');
    expect(confirmation.headers.get('subject')).toBe('Your order is confirmed');
    expect(received.headers.get('message-id')).toBe(`<received.${orderId}@shop.example>`);
    expect(confirmation.headers.get('message-id')).toBe(`<confirmed.${orderId}@shop.example>`);
    expect(confirmation.headers.get('x-shop-order-id')).toBe(orderId);
    expect(confirmation.headers.get('x-shop-event')).toBe('order.confirmed');
    expect(confirmation.headers.get('from')).toBe(`${SHOP_NAME} <orders@shop.example>`);
    expect(confirmation.envelopeTo).toEqual([email]);
    for (const body of [confirmation.text, confirmation.html]) {
      expect(body).toContain('Stoneware Mug');
      expect(body).toContain('$18.00');
      expect(body).toContain('$36.00'); // 2 × $18.00
      expect(body).toContain('$129.50');
      expect(body).toContain('$165.50'); // the total
      expect(body).toContain(`${SHOP_URL}/orders/${orderId}`);
      expect(body).toContain(SHOP_NAME);
    }
    expect(confirmation.text).toContain('2 × Stoneware Mug');
    expect(confirmation.text).toContain('Hello Ada <b>Lovelace</b> & Co,');
    // Shopper-supplied values are escaped in the HTML: the name adds no markup.
    expect(confirmation.html).toContain('Hello Ada &lt;b&gt;Lovelace&lt;/b&gt; &amp; Co,');
    expect(confirmation.html).not.toContain('<b>Lovelace');
    expect(confirmation.html).toContain('Desk Lamp &quot;Nova&quot;');

    // An order whose order.placed has not come yet: its receipt goes first (see order-email-sequence.spec.ts).
    const otherId = randomUUID();
    publish('order.rejected', rejected(otherId, email));
    await waitFor(() => smtp.emailsOf(otherId).length === 2, { what: 'the receipt and the rejected email' });
    const [, rejection] = smtp.emailsOf(otherId);
    expect(rejection.headers.get('subject')).toBe('We could not confirm your order');
    expect(rejection.headers.get('message-id')).toBe(`<rejected.${otherId}@shop.example>`);
    expect(rejection.headers.get('x-shop-event')).toBe('order.rejected');
    // The reason in the shopper's words (the product's name, not its sku), and what to do.
    expect(rejection.text).toContain('Desk Lamp "Nova" is sold out.');
    expect(rejection.text).not.toContain('LMP-011');
    expect(rejection.text).toContain('Nothing was charged.');
    expect(rejection.text).toContain('fewer of that item, or choose another product');
    expect(rejection.text).toContain(`${SHOP_URL}/orders/${otherId}`);

    // The mail server has the email a moment before the transaction that logs it commits.
    await waitFor(async () => (await sentLog(orderId)).length === 2, { what: 'two rows in the sent log' });
    expect(await sentLog(orderId)).toEqual([
      expect.objectContaining({ kind: 'received', recipient: email, status: 'sent', email_message_id: `<received.${orderId}@shop.example>` }),
      expect.objectContaining({ kind: 'confirmed', recipient: email, status: 'sent', smtp_response: expect.stringMatching(/^250 /) }),
    ]);

    // The storefront's view: which emails went out for that order, nothing more.
    const response = await fetch(`${url}/api/notifications/orders/${orderId}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual([
      { kind: 'received', recipient: email, sentAt: expect.any(String) },
      { kind: 'confirmed', recipient: email, sentAt: expect.any(String) },
    ]);
    expect(await (await fetch(`${url}/api/notifications/orders/${randomUUID()}`)).json()).toEqual([]);
    const malformed = await fetch(`${url}/api/notifications/orders/not-an-order`);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { message: string }).message).toMatch(/orderId/);
    expect((await fetch(`${url}/api/notifications?email=${encodeURIComponent(email)}`)).status).toBe(404);
  });

  it('sends one email for a message delivered three times', async () => {
    const orderId = randomUUID();
    const messageId = randomUUID();
    const event = placed(orderId, 'grace@example.com');
    for (let i = 0; i < 3; i++) publish('order.placed', event, messageId);
    // Then a later event of the same order: once it is sent, every copy before it was handled.
    publish('order.confirmed', confirmed(orderId, 'grace@example.com'));
    await waitFor(async () => (await sentLog(orderId)).length === 2, { what: 'both events handled' });
    await waitFor(async () => (await channel.checkQueue(QUEUES.notificationsOrderEvents)).messageCount === 0, { what: 'the queue drained' });
    expect(smtp.emailsOf(orderId).map((email) => email.headers.get('message-id'))).toEqual([
      `<received.${orderId}@shop.example>`,
      `<confirmed.${orderId}@shop.example>`,
    ]);
    expect((await sql.query(`SELECT count(*)::int AS n FROM inbox WHERE message_id = $1`, [messageId])).rows[0].n).toBe(1);
  });

  it('retries while the mail server is down or busy, without counting attempts, and sends once it is back; nothing dead-lettered', async () => {
    const orderId = randomUUID();
    await smtp.stop();
    const dead = await smtp.deadServer();
    try {
      publish('order.confirmed', confirmed(orderId, 'ada@example.com'));
      // Readiness is the database only: the service stays ready while the mail server is down, and says so.
      const smtpHealth = await fetch(`${url}/health/smtp`);
      expect(smtpHealth.status).toBe(503);
      expect(((await smtpHealth.json()) as { status: string }).status).toBe('down');
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
      // Twice as many tries as MAX_ATTEMPTS allows (verify made one): counted, it would be dead-lettered by now.
      await waitFor(() => dead.connections() >= 5, { what: 'the service retrying against the dead server', timeoutMs: 30_000 });
    } finally {
      await dead.stop();
    }
    // Back, but busy (421) for the next two connections, then accepting.
    smtp.busy = 2;
    await smtp.start();
    // Its order had no email yet: the receipt goes first, then the confirmation.
    await waitFor(() => smtp.emailsOf(orderId).length === 2, { what: 'the emails sent after the outage', timeoutMs: 30_000 });
    expect(smtp.busy).toBe(0);
    await waitFor(async () => (await sentLog(orderId)).length === 2, { what: 'the sent log rows' });
    expect(await sentLog(orderId)).toEqual([
      expect.objectContaining({ kind: 'received', status: 'sent' }),
      expect.objectContaining({ kind: 'confirmed', status: 'sent' }),
    ]);
    expect((await deadLetters()).map((letter) => letter.messageId)).toEqual([]);
    expect((await fetch(`${url}/health/smtp`)).status).toBe(200);
  });

  it('dead-letters an email whose recipient is refused (550) with the reply as the reason, logs it refused, and still sends the others of its batch', async () => {
    // A backlog, so the messages arrive together and are handled as one batch.
    await app.close();
    const orderIds = Array.from({ length: 5 }, () => randomUUID());
    const refusedAddress = `refused.${orderIds[2].slice(0, 8)}@example.com`;
    // Each order's trace, as order-service's relay publishes them (the traceparent of its publish span).
    const traces = orderIds.map(() => aTraceparent());
    const messageIds = orderIds.map((orderId, i) =>
      publish('order.placed', placed(orderId, i === 2 ? refusedAddress : `shopper${i}@example.com`), randomUUID(), traces[i].traceparent),
    );
    await waitFor(async () => (await channel.checkQueue(QUEUES.notificationsOrderEvents)).messageCount === 5, { what: 'the backlog queued' });
    app = await createNotificationService(
      loadNotificationServiceConfig({
        HOST: '127.0.0.1',
        PORT: '0',
        METRICS_PORT: '0',
        DATABASE_URL: database.url,
        RABBITMQ_URL: vhost.url,
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
        RETRY_DELAYS_MS: '200,400',
        MAX_ATTEMPTS: '2',
        SMTP_URL: smtp.url,
        SHOP_URL,
      }),
    );
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    await subscribed();

    const letters: { messageId: string; reason: string; body: string }[] = [];
    await waitFor(
      async () => {
        letters.push(...(await deadLetters()));
        return letters.length >= 1;
      },
      { what: 'the refused email dead-lettered' },
    );
    expect(letters.map((letter) => letter.messageId)).toEqual([messageIds[2]]);
    const reason = letters[0].reason;
    expect(reason).toMatch(/^550 5\.1\.1 <refused\.[0-9a-f]{8}@example\.com>: Recipient address rejected: mailbox unavailable$/);

    await waitFor(async () => (await sql.query(`SELECT 1 FROM sent_emails WHERE order_id = ANY($1)`, [orderIds])).rowCount === 5, { what: 'five log rows' });
    const log = await sql.query(`SELECT order_id, status, smtp_response, recipient FROM sent_emails WHERE order_id = ANY($1)`, [orderIds]);
    const refusedRow = log.rows.find((row) => row.order_id === orderIds[2]);
    expect(refusedRow).toEqual({ order_id: orderIds[2], status: 'refused', smtp_response: reason, recipient: refusedAddress });
    expect(
      log.rows
        .filter((row) => row.status === 'sent')
        .map((row) => row.order_id)
        .sort(),
    ).toEqual(orderIds.filter((_, i) => i !== 2).sort());
    for (const [i, orderId] of orderIds.entries()) expect([i, smtp.emailsOf(orderId).length]).toEqual([i, i === 2 ? 0 : 1]);
    // The refused email is not listed as sent.
    expect(await (await fetch(`${url}/api/notifications/orders/${orderIds[2]}`)).json()).toEqual([]);
    // Handled in fewer transactions than messages would show batching; what matters: one refusal held back no one.
    expect((await channel.checkQueue(QUEUES.notificationsOrderEvents)).messageCount).toBe(0);

    // Each SMTP send is a span in its own order's trace, under its own message's process span, though the messages came as one batch.
    const spans = tracing.spans();
    const orderOf = (span: ReadableSpan) => orderIds.indexOf(span.attributes['shop.order.id'] as (typeof orderIds)[number]);
    const sends = spans.filter((span) => span.name === 'smtp send' && orderOf(span) >= 0);
    expect(sends.map((send) => send.attributes['shop.order.id']).sort()).toEqual([...orderIds].sort());
    const batches = new Set<string>();
    for (const send of sends) {
      const i = orderOf(send);
      const delivery = parentOf(spans, send);
      expect(delivery).toMatchObject({ name: `process ${QUEUES.notificationsOrderEvents}`, kind: SpanKind.CONSUMER });
      expect(delivery!.attributes['messaging.message.id']).toBe(messageIds[i]);
      expect(delivery!.parentSpanContext?.spanId).toBe(traces[i].spanId);
      expect(send.spanContext().traceId).toBe(traces[i].traceId);
      expect(send.kind).toBe(SpanKind.CLIENT);
      expect(send.attributes).toEqual({
        'server.address': '127.0.0.1',
        'server.port': smtp.port,
        'shop.email.kind': 'received',
        'messaging.message.id': messageIds[i],
        'shop.order.id': orderIds[i],
        ...(i === 2 ? { 'error.type': 'EENVELOPE' } : {}),
      });
      expect(send.status.code).toBe(i === 2 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
      for (const link of delivery!.links) batches.add(link.context.spanId);
    }
    // The batch's own span (linked from each message's) is in a trace of its own, not in any order's.
    const batchSpans = spans.filter((span) => batches.has(span.spanContext().spanId));
    expect(batchSpans.length).toBeGreaterThan(0);
    for (const batch of batchSpans) {
      expect(batch.attributes['messaging.batch.message_count']).toBeGreaterThan(1);
      expect(traces.map((trace) => trace.traceId)).not.toContain(batch.spanContext().traceId);
    }
    // The refusal is an error on the span, which does not carry the recipient (personal data).
    const refusedSend = sends.find((send) => send.attributes['shop.order.id'] === orderIds[2])!;
    expect(refusedSend.status.message).toMatch(/550 5\.1\.1/);
    expect(JSON.stringify([refusedSend.attributes, refusedSend.status, refusedSend.events])).not.toContain(refusedAddress.split('@')[0]);
  });
});
