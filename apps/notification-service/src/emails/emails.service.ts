import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { QUEUES, type QueueName, type SentEmailView, type SignInRequested } from '@shop/contracts';
import { deliveryContext, UnprocessableMessageError } from '@shop/messaging';
import { InboxService } from '@shop/outbox';
import { singletonMetric } from '@shop/platform';
import { Counter, Histogram } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { emailPlan } from './email-plan';
import { Mailer, type OutgoingEmail } from './mailer';
import { EMAIL_KIND_OF, orderEmail, receiptOf, type OrderEvent, type ShopIdentity } from './order-emails';
import { SentEmailsRepository, type SentEmailKind, type SentEmailRow } from './sent-emails.repository';
import { SIGN_IN_KIND, signInDecision, signInEmail } from './sign-in-email';
import { classifySmtpFailure, smtpReplyOf } from './smtp-failure';

export const SHOP_IDENTITY = Symbol('SHOP_IDENTITY');

const emailOutcomes = singletonMetric(
  'notification_emails_total',
  () =>
    new Counter({
      name: 'notification_emails_total',
      help: 'Emails sent (a receipt sent ahead of its order.placed counts as sent), and messages that sent none, by outcome (refused, duplicate, expired, superseded, contradiction)',
      labelNames: ['kind', 'outcome'],
    }),
);
const emailLatency = singletonMetric(
  'notification_email_latency_seconds',
  () =>
    new Histogram({
      name: 'notification_email_latency_seconds',
      help: "From the change the email reports (placedAt, confirmedAt, rejectedAt, cancelledAt, a sign-in link's requestedAt) to the mail server accepting it",
      labelNames: ['kind'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    }),
);

/** A lifecycle event as the consumer hands it over (`traceparent`: the delivery's, the parent of its emails' spans). */
export type OrderEventMessage = OrderEvent & { messageId: string; traceparent?: string };
/** A sign-in link as the consumer hands it over. */
export type SignInMessage = { messageId: string; payload: SignInRequested; traceparent?: string };

/**
 * What happened to a message. `repeated`: a refusal recorded by an earlier delivery of the message,
 * on its way to the dead-letter queue. `superseded` and `contradiction` send nothing (see emailPlan).
 */
type Outcome =
  | { status: 'sent'; emails: Email[] }
  | { status: 'refused'; reply: string; repeated?: boolean; emails: Email[] }
  | { status: 'duplicate' }
  | { status: 'expired' }
  | { status: 'superseded' }
  | { status: 'contradiction' };

/** One email to hand to the mail server, and how the sent log files it. */
interface Email {
  email: OutgoingEmail;
  kind: SentEmailKind;
  /** When what the email reports happened, for the latency histogram. */
  changedAt: string;
}

/** Decided once the message is claimed, in its transaction: the emails to send, in order, or why none. */
type Decision =
  | { action: 'send'; emails: Email[] }
  /** Recorded (the log says why), not sent. */
  | { action: 'expired'; email: Email }
  | { action: 'duplicate' | 'superseded' | 'contradiction' };

/** One message and how the sent log files it. */
interface Sending {
  /** The inbox's consumer name: the queue the message came from. */
  consumer: QueueName;
  messageId: string;
  /** The delivery's trace context: each email's SMTP send is a span in the order's (or the sign-in request's) trace. */
  traceparent: string | undefined;
  /** The message's own email kind, for the counters of what did not send it. */
  kind: SentEmailKind;
  orderId: string | null;
  /** For the logs: what the email is about ("order …", "sign-in link …"). */
  about: string;
  decide: (manager: EntityManager) => Promise<Decision>;
}

@Injectable()
export class EmailsService {
  private readonly logger = new Logger(EmailsService.name);
  /** Messages being sent now, over every batch: at most one per SMTP connection. */
  private readonly sending: Slots;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly inbox: InboxService,
    private readonly sentEmails: SentEmailsRepository,
    private readonly mailer: Mailer,
    @Inject(SHOP_IDENTITY) private readonly shop: ShopIdentity,
  ) {
    this.sending = new Slots(mailer.maxConnections);
  }

  /**
   * Emails the shopper once per lifecycle event (see sendEach), in the order's own order whatever
   * the order the events arrive in (see emailPlan): the order's lock serialises its events, across
   * this batch's concurrent sends and the other replicas.
   */
  sendOrderEmails(messages: OrderEventMessage[]): Promise<void> {
    return this.sendEach(messages, (message) => {
      const kind = EMAIL_KIND_OF[message.type];
      const orderId = message.payload.orderId;
      return {
        consumer: QUEUES.notificationsOrderEvents,
        messageId: message.messageId,
        traceparent: message.traceparent,
        kind,
        orderId,
        about: `order ${orderId}`,
        decide: async (manager) => {
          await this.sentEmails.lockOrder(manager, orderId);
          const handled = await this.sentEmails.handledKinds(manager, orderId);
          const plan = emailPlan(handled, kind);
          switch (plan.action) {
            case 'send':
              if (plan.kinds.length > 1) this.logger.log(`order ${orderId}: its ${kind} email came before its receipt, so the receipt goes first`);
              return {
                action: 'send',
                emails: plan.kinds.map((planned) =>
                  planned === kind
                    ? { email: orderEmail(message, this.shop), kind, changedAt: changedAt(message) }
                    : { email: receiptOf(message, this.shop), kind: planned, changedAt: message.payload.placedAt },
                ),
              };
            case 'superseded':
              this.logger.log(`order ${orderId}: its ${kind} email is superseded by the ${plan.by} email already sent: not sent`);
              return plan;
            case 'contradiction':
              this.logger.error(`order ${orderId}: ${message.type} contradicts the ${plan.with} email already sent: not sent`);
              return plan;
            case 'duplicate':
              return plan;
          }
        },
      };
    });
  }

  /**
   * Emails each sign-in link once (see sendEach), unless it expired before it was consumed. The
   * token is in the email only: the sent log keeps the recipient and the Message-ID.
   */
  sendSignInEmails(messages: SignInMessage[]): Promise<void> {
    return this.sendEach(messages, ({ messageId, payload, traceparent }) => ({
      consumer: QUEUES.notificationsSignInLinks,
      messageId,
      traceparent,
      kind: SIGN_IN_KIND,
      orderId: null,
      about: `sign-in link ${payload.linkId}`,
      decide: () => {
        const email: Email = { email: signInEmail(payload, this.shop), kind: SIGN_IN_KIND, changedAt: payload.requestedAt };
        return Promise.resolve<Decision>(
          signInDecision(payload, new Date()) === 'expired' ? { action: 'expired', email } : { action: 'send', emails: [email] },
        );
      },
    }));
  }

  /**
   * Sends each message's emails, each message in its own transaction, as many at once as the
   * SMTP pool has connections, counted over every batch of the process (one after the other, a
   * batch of a hundred waits a hundred round trips; a count per batch would hold a transaction, and
   * its database connection, per waiting email of every other batch running). A refused recipient does not stop the others: after the batch it is thrown as
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
        const release = await this.sending.acquire();
        try {
          const outcome = await this.sendOnce(sendingOf(message));
          if (outcome.status === 'refused') refusals.push(outcome.reply);
        } catch (err) {
          failures.push(err);
        } finally {
          release();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.mailer.maxConnections, messages.length) }, worker));
    if (failures.length > 0) throw failures[0];
    if (refusals.length > 0) throw new UnprocessableMessageError(refusals.join('; '));
  }

  /**
   * The ordering, chosen so that no email is lost: claim the message in the inbox, decide (for an
   * order: under its lock, from the emails it already has), hand the emails to the mail server one
   * after the other, write the sent log, commit. The sends happen inside the transaction, so a
   * failure or crash before the server accepted them rolls the claim back and the message is
   * delivered again. A crash after the server accepted and before the commit sends again too: a
   * duplicate with the same Message-ID (that window is one SMTP reply and one commit long; with a
   * receipt sent ahead, an outage before the second email repeats the receipt, in its place). The
   * opposite order (commit, then send) would lose the email instead. A concurrent copy of the
   * message waits on the inbox row and is then skipped; another event of the order waits on its lock.
   */
  private async sendOnce(sending: Sending): Promise<Outcome> {
    const outcome = await this.dataSource.transaction(async (manager): Promise<Outcome> => {
      const [fresh] = await this.inbox.claimMany(manager, sending.consumer, [sending]);
      if (!fresh) {
        // Seen before: it was sent, or refused (then it still has to reach the dead-letter queue).
        const reply = await this.sentEmails.refusalOf(manager, sending.messageId);
        return reply === null ? { status: 'duplicate' } : { status: 'refused', reply, repeated: true, emails: [] };
      }
      const decision = await sending.decide(manager);
      if (decision.action === 'expired') {
        // Nothing was handed to the mail server: the column says why instead of quoting a reply.
        await this.record(manager, sending, decision.email, 'expired', 'not sent: expired before it was consumed');
        this.logger.warn(`the ${sending.about} expired before it could be emailed: not sent`);
        return { status: 'expired' };
      }
      if (decision.action !== 'send') return { status: decision.action };
      const sent: Email[] = [];
      for (const email of decision.emails) {
        let smtpResponse: string;
        try {
          smtpResponse = await this.mailer.send(email.email, {
            parent: deliveryContext(sending),
            kind: email.kind,
            messageId: sending.messageId,
            orderId: sending.orderId,
          });
        } catch (err) {
          // An outage or an unknown failure rolls the claim back: the message comes again.
          if (classifySmtpFailure(err) !== 'refused') throw err;
          smtpResponse = smtpReplyOf(err);
          this.logger.warn(`the mail server refused the ${email.kind} email of ${sending.about}: ${smtpResponse}`);
          await this.record(manager, sending, email, 'refused', smtpResponse);
          // Refused for good: an email after it would come out of the order's order (and goes to the same address).
          return { status: 'refused', reply: smtpResponse, emails: sent };
        }
        await this.record(manager, sending, email, 'sent', smtpResponse);
        sent.push(email);
      }
      return { status: 'sent', emails: sent };
    });
    if ('emails' in outcome) {
      for (const email of outcome.emails) {
        emailOutcomes.inc({ kind: email.kind, outcome: 'sent' });
        emailLatency.observe({ kind: email.kind }, (Date.now() - Date.parse(email.changedAt)) / 1_000);
      }
    }
    if (outcome.status !== 'sent')
      emailOutcomes.inc({ kind: sending.kind, outcome: outcome.status === 'refused' && outcome.repeated ? 'duplicate' : outcome.status });
    return outcome;
  }

  private record(manager: EntityManager, sending: Sending, { email, kind }: Email, status: SentEmailRow['status'], smtpResponse: string): Promise<void> {
    return this.sentEmails.record(manager, {
      messageId: sending.messageId,
      orderId: sending.orderId,
      kind,
      recipient: email.to.address,
      status,
      smtpResponse,
      emailMessageId: email.messageId,
    });
  }

  /** The emails the mail server accepted for this order. */
  async sentFor(orderId: string): Promise<SentEmailView[]> {
    const rows = await this.sentEmails.sentFor(this.dataSource.manager, orderId);
    return rows.map((row) => ({ kind: row.kind, recipient: row.recipient, sentAt: row.sent_at.toISOString() }));
  }
}

/** A counting semaphore: `acquire` resolves with the release once one of `size` slots is free, first come first served. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so a newcomer cannot take it in between.
      if (next) next();
      else this.free++;
    };
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
    case 'order.cancelled':
      return event.payload.cancelledAt;
  }
}
