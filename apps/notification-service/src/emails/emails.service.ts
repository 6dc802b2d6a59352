import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { QUEUES, type SentEmailView } from '@shop/contracts';
import { UnprocessableMessageError } from '@shop/messaging';
import { InboxService } from '@shop/outbox';
import { singletonMetric } from '@shop/platform';
import { Counter, Histogram } from 'prom-client';
import { DataSource } from 'typeorm';
import { Mailer } from './mailer';
import { orderEmail, type OrderEvent, type ShopIdentity } from './order-emails';
import { SentEmailsRepository } from './sent-emails.repository';
import { classifySmtpFailure, smtpReplyOf } from './smtp-failure';

export const SHOP_IDENTITY = Symbol('SHOP_IDENTITY');

const emailOutcomes = singletonMetric(
  'notification_emails_total',
  () =>
    new Counter({
      name: 'notification_emails_total',
      help: 'Lifecycle events handled, by outcome (sent, refused, duplicate)',
      labelNames: ['kind', 'outcome'],
    }),
);
const emailLatency = singletonMetric(
  'notification_email_latency_seconds',
  () =>
    new Histogram({
      name: 'notification_email_latency_seconds',
      help: 'From the order change the event reports (placedAt, confirmedAt, rejectedAt) to the mail server accepting its email',
      labelNames: ['kind'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    }),
);

/** A lifecycle event as the consumer hands it over. */
export type OrderEventMessage = OrderEvent & { messageId: string };

/** `repeated`: a refusal recorded by an earlier delivery of the message, on its way to the dead-letter queue. */
type Outcome = { status: 'sent' } | { status: 'refused'; reply: string; repeated?: boolean } | { status: 'duplicate' };

@Injectable()
export class EmailsService {
  private readonly logger = new Logger(EmailsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly inbox: InboxService,
    private readonly sentEmails: SentEmailsRepository,
    private readonly mailer: Mailer,
    @Inject(SHOP_IDENTITY) private readonly shop: ShopIdentity,
  ) {}

  /**
   * Emails the shopper once per event, each message in its own transaction, as many at once as the
   * SMTP pool has connections (one after the other, a batch of a hundred waits a hundred round
   * trips). A refused recipient does not stop the others: after the batch it is thrown as
   * unprocessable, the batch is handled again message by message (the sent ones are now
   * duplicates) and only the refused one is dead-lettered, with the server's reply. An outage fails
   * the batch as transient once the sends under way have settled: those that committed are
   * duplicates next time.
   */
  async sendOrderEmails(messages: OrderEventMessage[]): Promise<void> {
    const refusals: string[] = [];
    const failures: unknown[] = [];
    let next = 0;
    const worker = async () => {
      while (next < messages.length && failures.length === 0) {
        const message = messages[next++];
        try {
          const outcome = await this.sendOnce(message);
          if (outcome.status === 'refused') refusals.push(outcome.reply);
        } catch (err) {
          failures.push(err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.mailer.maxConnections, messages.length) }, worker));
    if (failures.length > 0) throw failures[0];
    if (refusals.length > 0) throw new UnprocessableMessageError(refusals.join('; '));
  }

  /**
   * The ordering, chosen so that no email is lost: claim the message in the inbox, hand the email
   * to the mail server, write the sent log, commit. The send happens inside the transaction, so a
   * failure or crash before the server accepted it rolls the claim back and the message is
   * delivered again. A crash after the server accepted and before the commit sends it again too: a
   * duplicate with the same Message-ID (that window is one SMTP reply and one commit long). The
   * opposite order (commit, then send) would lose the email instead. A concurrent copy of the
   * message waits on the inbox row and is then skipped.
   */
  private async sendOnce(message: OrderEventMessage): Promise<Outcome> {
    const email = orderEmail(message, this.shop);
    const outcome = await this.dataSource.transaction(async (manager): Promise<Outcome> => {
      const [fresh] = await this.inbox.claimMany(manager, QUEUES.notificationsOrderEvents, [message]);
      if (!fresh) {
        // Seen before: it was sent, or refused (then it still has to reach the dead-letter queue).
        const reply = await this.sentEmails.refusalOf(manager, message.messageId);
        return reply === null ? { status: 'duplicate' } : { status: 'refused', reply, repeated: true };
      }
      let result: Outcome;
      let smtpResponse: string;
      try {
        smtpResponse = await this.mailer.send(email);
        result = { status: 'sent' };
      } catch (err) {
        // An outage or an unknown failure rolls the claim back: the message comes again.
        if (classifySmtpFailure(err) !== 'refused') throw err;
        smtpResponse = smtpReplyOf(err);
        result = { status: 'refused', reply: smtpResponse };
        this.logger.warn(`the mail server refused the ${email.kind} email of order ${email.orderId}: ${smtpResponse}`);
      }
      await this.sentEmails.record(manager, {
        messageId: message.messageId,
        orderId: email.orderId,
        kind: email.kind,
        recipient: email.to.address,
        status: result.status === 'sent' ? 'sent' : 'refused',
        smtpResponse,
        emailMessageId: email.messageId,
      });
      return result;
    });
    emailOutcomes.inc({ kind: email.kind, outcome: outcome.status === 'refused' && outcome.repeated ? 'duplicate' : outcome.status });
    if (outcome.status === 'sent') emailLatency.observe({ kind: email.kind }, (Date.now() - Date.parse(changedAt(message))) / 1_000);
    return outcome;
  }

  /** The emails the mail server accepted for this order. */
  async sentFor(orderId: string): Promise<SentEmailView[]> {
    const rows = await this.sentEmails.sentFor(this.dataSource.manager, orderId);
    return rows.map((row) => ({ kind: row.kind, recipient: row.recipient, sentAt: row.sent_at.toISOString() }));
  }
}

/** When the order changed as the event reports it. */
function changedAt(event: OrderEvent): string {
  switch (event.type) {
    case 'order.placed':
      return event.payload.placedAt;
    case 'order.confirmed':
      return event.payload.confirmedAt;
    case 'order.rejected':
      return event.payload.rejectedAt;
  }
}
