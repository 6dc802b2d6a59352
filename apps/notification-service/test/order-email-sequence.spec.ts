/**
 * An order's emails arrive in the order's own order, whatever the order its events are delivered
 * in: the service runs in-process on its own PostgreSQL database and RabbitMQ vhost and sends to a
 * real SMTP server (smtp-server on 127.0.0.1). What the shopper got is read at the mail server, in
 * the order of arrival, and in the sent log.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { EXCHANGES, QUEUES, type OrderCancelled, type OrderConfirmed, type OrderPlaced, type OrderRejected } from '@shop/contracts';
import { createDatabase, createVhost, waitFor } from '@shop/testing';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { createNotificationService } from '../src/app';
import { loadNotificationServiceConfig } from '../src/config';
import { EmailsService, type OrderEventMessage } from '../src/emails/emails.service';
import { SentEmailsRepository } from '../src/emails/sent-emails.repository';
import { SmtpCatcher } from './smtp-catcher';

const orderState = (orderId: string) => ({
  orderId,
  customer: { name: 'Grace Hopper', email: `grace.${orderId.slice(0, 8)}@example.com` },
  lines: [{ sku: 'MUG-001', productName: 'Stoneware Mug', quantity: 2, unitPriceCents: 1800 }],
  totalCents: 3600,
  currency: 'USD',
  placedAt: '2026-12-02T01:30:00.000Z',
});
const placed = (orderId: string): OrderPlaced => ({ schemaVersion: 1, ...orderState(orderId) });
const confirmed = (orderId: string): OrderConfirmed => ({ schemaVersion: 1, ...orderState(orderId), confirmedAt: new Date().toISOString() });
const rejected = (orderId: string): OrderRejected => ({
  schemaVersion: 1,
  ...orderState(orderId),
  reason: 'Insufficient funds',
  cause: 'payment',
  rejectedAt: new Date().toISOString(),
});
const cancelled = (orderId: string): OrderCancelled => ({
  schemaVersion: 1,
  ...orderState(orderId),
  previousStatus: 'CONFIRMED',
  paymentHeld: true,
  cancelledAt: new Date().toISOString(),
});
type Published = { 'order.placed': OrderPlaced; 'order.confirmed': OrderConfirmed; 'order.rejected': OrderRejected; 'order.cancelled': OrderCancelled };

describe('notification-service: an order’s emails in the order’s own order', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let sql: Pool;
  let amqp: ChannelModel;
  let channel: Channel;
  let app: NestFastifyApplication;
  let url: string;
  const smtp = new SmtpCatcher();

  beforeAll(async () => {
    [database, vhost] = await Promise.all([createDatabase('notifications_sequence_it'), createVhost('notifications-sequence-it')]);
    await smtp.start();
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
        SMTP_TIMEOUT_MS: '2000',
        SHOP_URL: 'https://shop.example',
      }),
    );
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    sql = new Pool({ connectionString: database.url, max: 2 });
    amqp = await connect(vhost.url);
    channel = await amqp.createChannel();
    // The service connects to the broker after it starts: wait until it consumes its queue (declared by then).
    await waitFor(
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
  });

  afterAll(async () => {
    await app?.close();
    await channel?.close().catch(() => undefined);
    await amqp?.close().catch(() => undefined);
    await sql?.end();
    await smtp.stop();
    await Promise.all([database?.drop(), vhost?.remove()]);
  });

  afterEach(() => {
    smtp.replyDelayMs = 0;
  });

  const publish = <K extends keyof Published>(routingKey: K, payload: Published[K]) => {
    const messageId = randomUUID();
    channel.publish(EXCHANGES.orders, routingKey, Buffer.from(JSON.stringify(payload)), {
      messageId,
      type: routingKey,
      persistent: true,
      contentType: 'application/json',
    });
    return messageId;
  };
  /** The kinds of the emails the mail server got for the order, in the order they arrived. */
  const arrived = (orderId: string) => smtp.emailsOf(orderId).map((email) => /^<([a-z]+)\./.exec(email.headers.get('message-id') ?? '')?.[1]);
  const sentLog = async (orderId: string) =>
    (
      await sql.query<{ message_id: string; kind: string; status: string }>(
        `SELECT message_id, kind, status FROM sent_emails WHERE order_id = $1 ORDER BY sent_at, kind`,
        [orderId],
      )
    ).rows;
  /** The message was handled (its transaction committed), whether it sent anything or not. */
  const handled = (messageId: string) =>
    waitFor(async () => (await sql.query(`SELECT 1 FROM inbox WHERE message_id = $1`, [messageId])).rowCount === 1, { what: `message ${messageId} handled` });

  it('sends the receipt ahead of a confirmation that came first; the late order.placed sends nothing more', async () => {
    const orderId = randomUUID();
    const confirmation = publish('order.confirmed', confirmed(orderId));
    await waitFor(() => smtp.emailsOf(orderId).length === 2, { what: 'the receipt and the confirmation' });
    await handled(confirmation);
    const late = publish('order.placed', placed(orderId));
    await handled(late);

    expect(arrived(orderId)).toEqual(['received', 'confirmed']);
    const [receipt, confirmationEmail] = smtp.emailsOf(orderId);
    // The receipt is the one order.placed would have sent: its subject, Message-ID and event.
    expect(receipt.headers.get('subject')).toBe('We received your order');
    expect(receipt.headers.get('message-id')).toBe(`<received.${orderId}@shop.example>`);
    expect(receipt.headers.get('x-shop-event')).toBe('order.placed');
    expect(receipt.text).toContain('2 × Stoneware Mug');
    expect(confirmationEmail.headers.get('subject')).toBe('Your order is confirmed');
    // Both emails were sent for the confirmation's message; the late order.placed has no row.
    expect(await sentLog(orderId)).toEqual([
      { message_id: confirmation, kind: 'received', status: 'sent' },
      { message_id: confirmation, kind: 'confirmed', status: 'sent' },
    ]);
  });

  it('sends nothing for a confirmation that comes after the cancellation; the storefront lists received and cancelled', async () => {
    const orderId = randomUUID();
    const cancellation = publish('order.cancelled', cancelled(orderId));
    await waitFor(() => smtp.emailsOf(orderId).length === 2, { what: 'the receipt and the cancellation' });
    await handled(cancellation);
    await handled(publish('order.confirmed', confirmed(orderId)));
    // And the late order.placed: a duplicate of the receipt sent ahead.
    await handled(publish('order.placed', placed(orderId)));

    expect(arrived(orderId)).toEqual(['received', 'cancelled']);
    const [, cancellationEmail] = smtp.emailsOf(orderId);
    expect(cancellationEmail.headers.get('subject')).toBe('Your order is cancelled');
    expect(cancellationEmail.headers.get('x-shop-event')).toBe('order.cancelled');
    expect(cancellationEmail.text).toContain('is cancelled, as you asked.');
    expect(cancellationEmail.text).toContain('The payment of $36.00 is returned to your card');
    expect((await sentLog(orderId)).map((row) => [row.kind, row.status])).toEqual([
      ['received', 'sent'],
      ['cancelled', 'sent'],
    ]);
    expect(await (await fetch(`${url}/api/notifications/orders/${orderId}`)).json()).toEqual([
      { kind: 'received', recipient: `grace.${orderId.slice(0, 8)}@example.com`, sentAt: expect.any(String) },
      { kind: 'cancelled', recipient: `grace.${orderId.slice(0, 8)}@example.com`, sentAt: expect.any(String) },
    ]);
  });

  it('sends nothing for a confirmation that contradicts the rejection already sent', async () => {
    const orderId = randomUUID();
    await handled(publish('order.placed', placed(orderId)));
    await handled(publish('order.rejected', rejected(orderId)));
    await handled(publish('order.confirmed', confirmed(orderId)));

    expect(arrived(orderId)).toEqual(['received', 'rejected']);
    expect(smtp.emailsOf(orderId)[1].headers.get('subject')).toBe('Your payment was declined');
    expect((await sentLog(orderId)).map((row) => row.kind)).toEqual(['received', 'rejected']);
  });

  /** Each order got one receipt, then one confirmation, at the mail server and in the sent log. */
  const expectReceiptThenConfirmation = async (orderIds: string[]) => {
    for (const orderId of orderIds) {
      expect([orderId, arrived(orderId)]).toEqual([orderId, ['received', 'confirmed']]);
      expect([orderId, (await sentLog(orderId)).map((row) => [row.kind, row.status])]).toEqual([
        orderId,
        [
          ['received', 'sent'],
          ['confirmed', 'sent'],
        ],
      ]);
    }
  };

  it("sends one receipt and one confirmation, the receipt first, when an order's events come in one batch, in their order or reversed (10 orders)", async () => {
    const emails = app.get(EmailsService);
    const orderIds = Array.from({ length: 10 }, () => randomUUID());
    // Half the orders' events in their order, half reversed (the confirmation sends the receipt ahead), all in one batch.
    const batch: OrderEventMessage[] = orderIds.flatMap((orderId, index) => {
      const events: OrderEventMessage[] = [
        { type: 'order.placed', payload: placed(orderId), messageId: randomUUID() },
        { type: 'order.confirmed', payload: confirmed(orderId), messageId: randomUUID() },
      ];
      return index % 2 === 0 ? events : events.reverse();
    });
    await emails.sendOrderEmails(batch);

    await expectReceiptThenConfirmation(orderIds);
    const claimed = await sql.query(`SELECT message_id FROM inbox WHERE message_id = ANY($1::text[])`, [batch.map((message) => message.messageId)]);
    expect(claimed.rowCount).toBe(batch.length);
  });

  it('sends exactly one receipt and one confirmation, the receipt first, when order.placed and order.confirmed are handled at once in two batches (20 orders)', async () => {
    const emails = app.get(EmailsService);
    // A slow mail server: each send holds its transaction 30 ms, so the two batches overlap on every order.
    smtp.replyDelayMs = 30;
    const orderIds = Array.from({ length: 20 }, () => randomUUID());
    const placements: OrderEventMessage[] = orderIds.map((orderId) => ({ type: 'order.placed', payload: placed(orderId), messageId: randomUUID() }));
    const confirmations: OrderEventMessage[] = orderIds.map((orderId) => ({ type: 'order.confirmed', payload: confirmed(orderId), messageId: randomUUID() }));
    await Promise.all([emails.sendOrderEmails(placements), emails.sendOrderEmails(confirmations)]);

    await expectReceiptThenConfirmation(orderIds);
  });

  it("reads what a chunk's orders were already sent through the index, also while the sent log has no statistics (autovacuum off, a new database)", async () => {
    // 5,000 emails of other orders, and the table never analyzed: PostgreSQL then knows nothing of how few rows an order has.
    await sql.query(
      `INSERT INTO sent_emails (message_id, order_id, kind, recipient, status, smtp_response, email_message_id)
       SELECT 'seeded-' || n, gen_random_uuid(), 'received', 'seeded@example.com', 'sent', '250 OK', 'seeded-' || n FROM generate_series(1, 5000) AS n`,
    );
    const orderIds = Array.from({ length: 10 }, () => randomUUID());
    await sql.query(
      `INSERT INTO sent_emails (message_id, order_id, kind, recipient, status, smtp_response, email_message_id)
       SELECT 'indexed-' || order_id, order_id::uuid, 'received', 'indexed@example.com', 'sent', '250 OK', 'indexed-' || order_id FROM unnest($1::text[]) AS order_id`,
      [orderIds],
    );
    expect(
      (await sql.query(`SELECT 1 FROM pg_stat_user_tables WHERE relname = 'sent_emails' AND last_analyze IS NULL AND last_autoanalyze IS NULL`)).rowCount,
    ).toBe(1);

    const { handled, read } = await app.get(DataSource).transaction(async (manager) => ({
      handled: await app.get(SentEmailsRepository).lockOrders(manager, orderIds),
      // What this transaction read of the sent log, so far.
      read: (await manager.query(`SELECT seq_scan, seq_tup_read FROM pg_stat_xact_user_tables WHERE relname = 'sent_emails'`))[0],
    }));

    expect([...handled.entries()]).toEqual(orderIds.map((orderId) => [orderId, ['received']]));
    // A sequential scan would read all 5,010 rows for 10 orders, and more for each email sent since.
    expect(read).toEqual({ seq_scan: '0', seq_tup_read: '0' });
  });
});
