import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { QUEUES, type QueueName, type SentEmailView, type SignInRequested } from '@shop/contracts';
import { UnprocessableMessageError } from '@shop/messaging';
import { InboxService } from '@shop/outbox';
import { singletonMetric } from '@shop/platform';
import { Counter, Histogram } from 'prom-client';
import { DataSource } from 'typeorm';
import { Mailer, type OutgoingEmail } from './mailer';
import { orderEmail, type OrderEvent, type ShopIdentity } from './order-emails';
import { SentEmailsRepository, type SentEmailKind } from './sent-emails.repository';
import { SIGN_IN_KIND, signInDecision, signInEmail } from './sign-in-email';
import { classifySmtpFailure, smtpReplyOf } from './smtp-failure';

export const SHOP_IDENTITY = Symbol('SHOP_IDENTITY');

const emailOutcomes = singletonMetric(
  'notification_emails_total',
  () =>
    new Counter({
      name: 'notification_emails_total',
      help: 'Lifecycle events and sign-in links handled, by outcome (sent, refused, duplicate, expired)',
      labelNames: ['kind', 'outcome'],
    }),
);
const emailLatency = singletonMetric(
  'notification_email_latency_seconds',
  () =>
    new Histogram({
      name: 'notification_email_latency_seconds',
      help: "From the change the event reports (placedAt, confirmedAt, rejectedAt, a sign-in link's requestedAt) to the mail server accepting its email",
      labelNames: ['kind'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    }),
);

/** A lifecycle event as the consumer hands it over. */
export type OrderEventMessage = OrderEvent & { messageId: string };
/** A sign-in link as the consumer hands it over. */
export type SignInMessage = { messageId: string; payload: SignInRequested };

/** `repeated`: a refusal recorded by an earlier delivery of the message, on its way to the dead-letter queue. */
type Outcome = { status: 'sent' } | { status: 'refused'; reply: string; repeated?: boolean } | { status: 'duplicate' } | { status: 'expired' };

/** One message's email and how the sent log files it. */
interface Sending {
  /** The inbox's consumer name: the queue the message came from. */
  consumer: QueueName;
  messageId: string;
  email: OutgoingEmail;
  kind: SentEmailKind;
  orderId: string | null;
  /** For the logs: what the email is about ("order …", "sign-in link …"). */
  about: string;
  /** When what the email reports happened, for the latency histogram. */
  changedAt: string;
  /** Decided once the message is claimed: `expired` logs it and sends nothing. */
  decide?: () => 'send' | 'expired';
}

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

  /** Emails the shopper once per lifecycle event (see sendEach). */
  sendOrderEmails(messages: OrderEventMessage[]): Promise<void> {
    return this.sendEach(messages, (message) => {
      const email = orderEmail(message, this.shop);
      return {
        consumer: QUEUES.notificationsOrderEvents,
        messageId: message.messageId,
        email,
        kind: email.kind,
        orderId: email.orderId,
        about: `order ${email.orderId}`,
        changedAt: changedAt(message),
      };
    });
  }

  /**
   * Emails each sign-in link once (see sendEach), unless it expired before it was consumed. The
   * token is in the email only: the sent log keeps the recipient and the Message-ID.
   */
  sendSignInEmails(messages: SignInMessage[]): Promise<void> {
    return this.sendEach(messages, ({ messageId, payload }) => ({
      consumer: QUEUES.notificationsSignInLinks,
      messageId,
      email: signInEmail(payload, this.shop),
      kind: SIGN_IN_KIND,
      orderId: null,
      about: `sign-in link ${payload.linkId}`,
      changedAt: payload.requestedAt,
      decide: () => signInDecision(payload, new Date()),
    }));
  }

  /**
   * Sends one email per message, each message in its own transaction, as many at once as the
   * SMTP pool has connections (one after the other, a batch of a hundred waits a hundred round
   * trips). A refused recipient does not stop the others: after the batch it is thrown as
   * unprocessable, the batch is handled again message by message (the sent ones are now
   * duplicates) and only the refused one is dead-lettered, with the server's reply. An outage fails
   * the batch as transient once the sends under way have settled: those that committed are
   * duplicates next time.
   */
  private async sendEach<M>(messages: M[], sendingOf: (message: M) => Sending): Promise<void> {
    const refusals: string[] = [];
    const failures: unknown[] = [];
    let next = 0;
    const worker = async () => {
      while (next < messages.length && failures.length === 0) {
        const message = messages[next++];
        try {
          const outcome = await this.sendOnce(sendingOf(message));
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
  private async sendOnce(sending: Sending): Promise<Outcome> {
    const { email } = sending;
    const outcome = await this.dataSource.transaction(async (manager): Promise<Outcome> => {
      const [fresh] = await this.inbox.claimMany(manager, sending.consumer, [sending]);
      if (!fresh) {
        // Seen before: it was sent, or refused (then it still has to reach the dead-letter queue).
        const reply = await this.sentEmails.refusalOf(manager, sending.messageId);
        return reply === null ? { status: 'duplicate' } : { status: 'refused', reply, repeated: true };
      }
      let result: Outcome;
      let smtpResponse: string;
      if (sending.decide?.() === 'expired') {
        // Nothing was handed to the mail server: the column says why instead of quoting a reply.
        smtpResponse = 'not sent: expired before it was consumed';
        result = { status: 'expired' };
        this.logger.warn(`the ${sending.about} expired before it could be emailed: not sent`);
      } else {
        try {
          smtpResponse = await this.mailer.send(email);
          result = { status: 'sent' };
        } catch (err) {
          // An outage or an unknown failure rolls the claim back: the message comes again.
          if (classifySmtpFailure(err) !== 'refused') throw err;
          smtpResponse = smtpReplyOf(err);
          result = { status: 'refused', reply: smtpResponse };
          this.logger.warn(`the mail server refused the ${sending.kind} email of ${sending.about}: ${smtpResponse}`);
        }
      }
      await this.sentEmails.record(manager, {
        messageId: sending.messageId,
        orderId: sending.orderId,
        kind: sending.kind,
        recipient: email.to.address,
        status: result.status === 'refused' ? 'refused' : result.status === 'expired' ? 'expired' : 'sent',
        smtpResponse,
        emailMessageId: email.messageId,
      });
      return result;
    });
    emailOutcomes.inc({ kind: sending.kind, outcome: outcome.status === 'refused' && outcome.repeated ? 'duplicate' : outcome.status });
    if (outcome.status === 'sent') emailLatency.observe({ kind: sending.kind }, (Date.now() - Date.parse(sending.changedAt)) / 1_000);
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
