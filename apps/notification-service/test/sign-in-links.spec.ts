/**
 * The sign-in emails, end to end inside the service: `signin.requested` events are published to
 * shop.orders as order-service's outbox publishes them, the service runs on its own PostgreSQL
 * database and RabbitMQ vhost and sends through a real SMTP server (smtp-server on 127.0.0.1,
 * never a mocked transport); what it did is read back from the mail server, the sent log and the queues.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SpanKind } from '@opentelemetry/api';
import { EXCHANGES, QUEUES, ROUTING_KEYS, SHOP_NAME, type SignInRequested } from '@shop/contracts';
import { createDatabase, createVhost, waitFor } from '@shop/testing';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createNotificationService } from '../src/app';
import { loadNotificationServiceConfig } from '../src/config';
import { keptDeadLetters } from './kept-dead-letters';
import { aTraceparent, parentOf, recordSpans } from '../../../libs/testing/src/recorded-spans';
import { SmtpCatcher } from './smtp-catcher';

const SHOP_URL = 'https://shop.example';
const QUEUE = QUEUES.notificationsSignInLinks;

/** A link as order-service mints it: a token of base64url parts, valid for 15 minutes unless `expiresAt` says otherwise. */
const signInRequested = (email: string, expiresAt = new Date(Date.now() + 15 * 60_000).toISOString()): SignInRequested => ({
  schemaVersion: 1,
  linkId: randomUUID(),
  email,
  token: `${randomBytes(24).toString('base64url')}.${randomBytes(32).toString('base64url')}`,
  expiresAt,
  requestedAt: new Date().toISOString(),
});
const messageIdOf = (link: SignInRequested) => `<sign-in.${link.linkId}@shop.example>`;

describe('notification-service: sign-in links', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let sql: Pool;
  let amqp: ChannelModel;
  let channel: Channel;
  let app: NestFastifyApplication;
  const smtp = new SmtpCatcher();
  const tracing = recordSpans();

  beforeAll(async () => {
    [database, vhost] = await Promise.all([createDatabase('notifications_sign_in_it'), createVhost('notifications-sign-in-it')]);
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
        SHOP_URL,
      }),
    );
    await app.listen(0, '127.0.0.1');
    sql = new Pool({ connectionString: database.url, max: 2 });
    amqp = await connect(vhost.url);
    channel = await amqp.createChannel();
    // The service connects to the broker after it starts: wait until it consumes the queue (declared by then).
    await waitFor(
      async () => {
        const probe = await amqp.createChannel();
        probe.on('error', () => undefined);
        try {
          return (await probe.checkQueue(QUEUE)).consumerCount > 0;
        } finally {
          await probe.close().catch(() => undefined);
        }
      },
      { what: 'the service consuming the sign-in queue' },
    );
  });

  afterAll(async () => {
    await app?.close();
    await channel?.close().catch(() => undefined);
    await amqp?.close().catch(() => undefined);
    await sql?.end();
    await smtp.stop();
    await Promise.all([database?.drop(), vhost?.remove()]);
    await tracing.stop();
  });

  const publish = (link: SignInRequested, messageId: string = randomUUID(), traceparent?: string) => {
    channel.publish(EXCHANGES.orders, ROUTING_KEYS.signInRequested, Buffer.from(JSON.stringify(link)), {
      messageId,
      type: ROUTING_KEYS.signInRequested,
      persistent: true,
      contentType: 'application/json',
      ...(traceparent ? { headers: { traceparent } } : {}),
    });
    return messageId;
  };
  const emailsOf = (link: SignInRequested) => smtp.emails.filter((email) => email.headers.get('message-id') === messageIdOf(link));
  const logOf = async (link: SignInRequested) =>
    (await sql.query(`SELECT message_id, order_id, kind, recipient, status, smtp_response FROM sent_emails WHERE email_message_id = $1`, [messageIdOf(link)]))
      .rows;
  const deadLetters = keptDeadLetters(() => sql);
  /** Rows of the service's own tables that contain this text anywhere. */
  const rowsContaining = async (text: string) =>
    (
      await sql.query(
        `SELECT 'sent_emails' AS source FROM sent_emails WHERE strpos(row_to_json(sent_emails)::text, $1) > 0
         UNION ALL SELECT 'inbox' FROM inbox WHERE strpos(row_to_json(inbox)::text, $1) > 0`,
        [text],
      )
    ).rows;

  it('emails the link with the token in the fragment, its Message-ID and event header, and logs it without the token', async () => {
    const link = signInRequested('ada.sign-in@example.com');
    // The trace of the request that asked for the link (POST /api/sessions/link), through order-service's outbox.
    const requested = aTraceparent();
    const messageId = publish(link, randomUUID(), requested.traceparent);
    await waitFor(() => emailsOf(link).length === 1, { what: 'the sign-in email' });

    const [email] = emailsOf(link);
    expect(email.envelopeTo).toEqual(['ada.sign-in@example.com']);
    expect(email.headers.get('to')).toBe('ada.sign-in@example.com');
    expect(email.headers.get('from')).toBe(`${SHOP_NAME} <orders@shop.example>`);
    expect(email.headers.get('subject')).toBe(`Your link to your orders at ${SHOP_NAME}`);
    expect(email.headers.get('x-shop-event')).toBe('signin.requested');
    expect(email.headers.has('x-shop-order-id')).toBe(false);
    const href = `${SHOP_URL}/orders/sign-in#token=${encodeURIComponent(link.token)}`;
    expect(email.text).toContain(href);
    expect(email.html).toContain(`href="${href}"`);
    for (const body of [email.text, email.html]) {
      expect(body).toContain('The link works once, until ');
      expect(body).toContain('nobody can see your orders without it');
      expect(body).not.toContain('?token=');
    }

    // The mail server has the email a moment before the transaction that logs it commits.
    await waitFor(async () => (await logOf(link)).length === 1, { what: 'the sent log row' });
    expect(await logOf(link)).toEqual([
      {
        message_id: messageId,
        order_id: null,
        kind: 'sign-in',
        recipient: 'ada.sign-in@example.com',
        status: 'sent',
        smtp_response: expect.stringMatching(/^250 /),
      },
    ]);
    // The token is in the email only: neither the sent log nor the inbox keeps it, whole or encoded.
    expect(await rowsContaining(link.token)).toEqual([]);
    expect(await rowsContaining(link.token.split('.')[1])).toEqual([]);
    expect(await rowsContaining('ada.sign-in@example.com')).toEqual([{ source: 'sent_emails' }]);

    // Its SMTP send is a span in the request's trace, under the message's process span, without the address or the token.
    const spans = tracing.spans();
    const [send] = spans.filter((span) => span.name === 'smtp send' && span.attributes['messaging.message.id'] === messageId);
    expect(send).toMatchObject({
      kind: SpanKind.CLIENT,
      attributes: { 'server.address': '127.0.0.1', 'server.port': smtp.port, 'shop.email.kind': 'sign-in' },
    });
    expect(send.spanContext().traceId).toBe(requested.traceId);
    expect(parentOf(spans, send)).toMatchObject({ name: `process ${QUEUE}`, attributes: { 'messaging.message.id': messageId } });
    expect(JSON.stringify([send.attributes, send.events])).not.toMatch(/ada\.sign-in|token/);
  });

  it('sends one email for a message delivered three times', async () => {
    const link = signInRequested('grace.sign-in@example.com');
    const messageId = randomUUID();
    for (let i = 0; i < 3; i++) publish(link, messageId);
    // Then another link: once it is sent and the queue is empty, every copy before it was handled.
    const later = signInRequested('grace.sign-in@example.com');
    publish(later);
    await waitFor(async () => (await logOf(later)).length === 1, { what: 'the later link logged' });
    await waitFor(async () => (await channel.checkQueue(QUEUE)).messageCount === 0, { what: 'the queue drained' });
    expect(emailsOf(link)).toHaveLength(1);
    expect(await logOf(link)).toEqual([expect.objectContaining({ message_id: messageId, status: 'sent' })]);
    expect((await sql.query(`SELECT consumer FROM inbox WHERE message_id = $1`, [messageId])).rows).toEqual([{ consumer: QUEUE }]);
  });

  it('logs a link already past its expiry when it is consumed as expired, and does not send it', async () => {
    const link = signInRequested('late.sign-in@example.com', new Date(Date.now() - 60_000).toISOString());
    const messageId = publish(link);
    // The decision is taken before any send, in the transaction that logs it.
    await waitFor(async () => (await logOf(link)).length === 1, { what: 'the expired link logged' });
    expect(await logOf(link)).toEqual([
      { message_id: messageId, order_id: null, kind: 'sign-in', recipient: 'late.sign-in@example.com', status: 'expired', smtp_response: expect.any(String) },
    ]);
    expect(emailsOf(link)).toEqual([]);
    expect(smtp.emails.filter((email) => email.envelopeTo.includes('late.sign-in@example.com'))).toEqual([]);
    // Handled, not failed: nothing dead-lettered.
    expect((await deadLetters()).map((letter) => letter.messageId)).toEqual([]);
  });

  it('dead-letters a link whose recipient is refused (550) with the reply as the reason, and logs it refused', async () => {
    const link = signInRequested('refused.sign-in@example.com');
    const messageId = publish(link);
    const letters: { messageId: string; reason: string; body: string }[] = [];
    await waitFor(
      async () => {
        letters.push(...(await deadLetters()));
        return letters.length >= 1;
      },
      { what: 'the refused link dead-lettered' },
    );
    expect(letters.map((letter) => letter.messageId)).toEqual([messageId]);
    const reason = letters[0].reason;
    expect(reason).toBe('550 5.1.1 <refused.sign-in@example.com>: Recipient address rejected: mailbox unavailable');
    expect(await logOf(link)).toEqual([expect.objectContaining({ message_id: messageId, status: 'refused', smtp_response: reason })]);
    expect(emailsOf(link)).toEqual([]);
    // The dead letter still carries the event (the token in it expires with the link): it can be replayed while it is valid.
    expect(JSON.parse(letters[0].body)).toEqual(link);
  });

  it('retries while the mail server is busy (421), without counting attempts, and sends once it accepts; nothing dead-lettered', async () => {
    // Restarted, so the pool's open connections are dropped and the next ones meet the 421s.
    await smtp.stop();
    smtp.busy = 3; // more than MAX_ATTEMPTS (2): counted, the link would be dead-lettered
    await smtp.start();
    const link = signInRequested('busy.sign-in@example.com');
    publish(link);
    await waitFor(() => emailsOf(link).length === 1, { what: 'the email sent once the server accepts', timeoutMs: 30_000 });
    expect(smtp.busy).toBe(0);
    await waitFor(async () => (await logOf(link)).length === 1, { what: 'the sent log row' });
    expect(await logOf(link)).toEqual([expect.objectContaining({ status: 'sent' })]);
    expect((await deadLetters()).map((letter) => letter.messageId)).toEqual([]);
  });

  it('the sent log refuses an order email without an order, and an expired order email', async () => {
    const insert = (orderId: string | null, kind: string, status: string) =>
      sql.query(
        `INSERT INTO sent_emails (message_id, order_id, kind, recipient, status, smtp_response, email_message_id) VALUES ($1, $2, $3, 'x@example.com', $4, '', '')`,
        [randomUUID(), orderId, kind, status],
      );
    await expect(insert(null, 'confirmed', 'sent')).rejects.toThrow(/sent_emails_order_of_kind/);
    await expect(insert(randomUUID(), 'sign-in', 'sent')).rejects.toThrow(/sent_emails_order_of_kind/);
    await expect(insert(randomUUID(), 'confirmed', 'expired')).rejects.toThrow(/sent_emails_expired_sign_in/);
    await expect(insert(null, 'password-reset', 'sent')).rejects.toThrow(/sent_emails_kind_check/);
    await expect(insert(null, 'sign-in', 'bounced')).rejects.toThrow(/sent_emails_status_check/);
  });
});
