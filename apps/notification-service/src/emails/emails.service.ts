import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { QUEUES, type OrderEmailKind, type QueueName, type SentEmailView, type SignInRequested } from '@shop/contracts';
import { deliveryContext, UnprocessableMessageError } from '@shop/messaging';
import { InboxService } from '@shop/outbox';
import { singletonMetric } from '@shop/platform';
import { Counter, Histogram } from 'prom-client';
import { DataSource } from 'typeorm';
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
type Outcome = { kind: SentEmailKind } & (
  | { status: 'sent'; emails: Email[] }
  | { status: 'refused'; reply: string; repeated?: boolean; emails: Email[] }
  | { status: 'duplicate' }
  | { status: 'expired' }
  | { status: 'superseded' }
  | { status: 'contradiction' }
);

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
  /** Decided under the order's lock from the kinds its emails already have (none for a sign-in link). */
  decide: (handled: readonly OrderEmailKind[]) => Decision;
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
        decide: (handled) => {
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
        return signInDecision(payload, new Date()) === 'expired' ? { action: 'expired', email } : { action: 'send', emails: [email] };
      },
    }));
  }

  /**
   * Sends a batch's emails a chunk at a time, each chunk in one transaction: as many messages as
   * free SMTP slots (counted over every batch of the process, taken before the transaction opens),
   * at most one per order (an order's next message goes in a later chunk, decided from what this
   * one sent). A chunk claims its messages in the inbox, locks their orders and reads what each
   * was already sent, hands the emails to the mail server all at once, writes the sent log and
   * commits: six statements a chunk, where a transaction per message took six each. The
   * transaction waits on one message's sends at most, as it did when it held one message.
   *
   * The sends happen inside the transaction, so a failure or crash before the server accepted an
   * email leaves its message unclaimed and it is delivered again; the opposite order (commit, then
   * send) would lose the email instead. A crash after the server accepted and before the commit
   * sends the chunk's emails again: duplicates with the same Message-ID. An outage fails the
   * messages under way: once the chunk's sends have settled, the failed messages' claims are taken
   * back, the emails the server did accept are committed, and the batch fails as transient, so
   * the failed messages and the chunks not started come again (the others are duplicates then). A
   * refused recipient does not stop the others: after the batch it is thrown as unprocessable, the
   * batch is handled again message by message (the sent ones are now duplicates) and only the
   * refused one is dead-lettered, with the server's reply.
   */
  private async sendEach<M>(messages: M[], sendingOf: (message: M) => Sending): Promise<void> {
    const waiting = messages.map(sendingOf);
    const refusals: string[] = [];
    while (waiting.length > 0) {
      const slots = await this.sending.acquireUpTo(Math.min(waiting.length, this.mailer.maxConnections));
      try {
        const chunk = takeChunk(waiting, slots.length);
        // Fewer orders left than slots taken: the others' batches may use them meanwhile.
        for (const release of slots.splice(chunk.length)) release();
        const { outcomes, failures } = await this.sendChunk(chunk);
        for (const outcome of outcomes) {
          count(outcome);
          if (outcome.status === 'refused') refusals.push(outcome.reply);
        }
        if (failures.length > 0) throw failures[0];
      } finally {
        for (const release of slots) release();
      }
    }
    if (refusals.length > 0) throw new UnprocessableMessageError(refusals.join('; '));
  }

  /** One chunk (see sendEach), in one transaction; the caller holds an SMTP slot for each of its messages. */
  private async sendChunk(chunk: Sending[]): Promise<{ outcomes: Outcome[]; failures: unknown[] }> {
    const consumer = chunk[0].consumer;
    return this.dataSource.transaction(async (manager) => {
      const fresh = await this.inbox.claimMany(manager, consumer, chunk);
      const claimed = new Set(fresh);
      // Seen before: sent, or refused (then it still has to reach the dead-letter queue).
      const seen = chunk.filter((sending) => !claimed.has(sending));
      const refusals = await this.sentEmails.refusalsOf(
        manager,
        seen.map((sending) => sending.messageId),
      );
      const outcomes: Outcome[] = seen.map((sending) => {
        const reply = refusals.get(sending.messageId);
        return reply === undefined ? { status: 'duplicate', kind: sending.kind } : { status: 'refused', reply, repeated: true, emails: [], kind: sending.kind };
      });
      const handled = await this.sentEmails.lockOrders(
        manager,
        fresh.flatMap((sending) => (sending.orderId === null ? [] : [sending.orderId])),
      );
      const rows: SentEmailRow[] = [];
      const failures: unknown[] = [];
      const failed: string[] = [];
      await Promise.all(
        fresh.map(async (sending) => {
          try {
            const sent = await this.sendMessage(sending, sending.orderId === null ? [] : (handled.get(sending.orderId) ?? []));
            rows.push(...sent.rows);
            outcomes.push(sent.outcome);
          } catch (err) {
            failures.push(err);
            failed.push(sending.messageId);
          }
        }),
      );
      await this.inbox.release(manager, consumer, failed);
      await this.sentEmails.recordAll(manager, rows);
      return { outcomes, failures };
    });
  }

  /**
   * One claimed message: decided from the kinds its order already has, its emails handed to the
   * mail server one after the other. Returns the sent log's rows; throws on an outage or an
   * unknown failure, and then none of its emails counts as sent.
   */
  private async sendMessage(sending: Sending, handled: readonly OrderEmailKind[]): Promise<{ outcome: Outcome; rows: SentEmailRow[] }> {
    const decision = sending.decide(handled);
    if (decision.action === 'expired') {
      this.logger.warn(`the ${sending.about} expired before it could be emailed: not sent`);
      // Nothing was handed to the mail server: the column says why instead of quoting a reply.
      return {
        outcome: { status: 'expired', kind: sending.kind },
        rows: [rowOf(sending, decision.email, 'expired', 'not sent: expired before it was consumed')],
      };
    }
    if (decision.action !== 'send') return { outcome: { status: decision.action, kind: sending.kind }, rows: [] };
    const sent: Email[] = [];
    const rows: SentEmailRow[] = [];
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
        // An outage or an unknown failure: the message comes again.
        if (classifySmtpFailure(err) !== 'refused') throw err;
        smtpResponse = smtpReplyOf(err);
        this.logger.warn(`the mail server refused the ${email.kind} email of ${sending.about}: ${smtpResponse}`);
        rows.push(rowOf(sending, email, 'refused', smtpResponse));
        // Refused for good: an email after it would come out of the order's order (and goes to the same address).
        return { outcome: { status: 'refused', reply: smtpResponse, emails: sent, kind: sending.kind }, rows };
      }
      rows.push(rowOf(sending, email, 'sent', smtpResponse));
      sent.push(email);
    }
    return { outcome: { status: 'sent', emails: sent, kind: sending.kind }, rows };
  }

  /** The emails the mail server accepted for this order. */
  async sentFor(orderId: string): Promise<SentEmailView[]> {
    const rows = await this.sentEmails.sentFor(this.dataSource.manager, orderId);
    return rows.map((row) => ({ kind: row.kind, recipient: row.recipient, sentAt: row.sent_at.toISOString() }));
  }
}

/** A counting semaphore of `size` slots, first come first served: `acquireUpTo` resolves with a release for each slot it took. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  /**
   * One slot, waiting for it if none is free, then as many more of `count` as are free now: never
   * waiting while holding one, so two callers cannot each hold part of what the other waits for.
   */
  async acquireUpTo(count: number): Promise<(() => void)[]> {
    const releases = [await this.acquire()];
    while (releases.length < count && this.free > 0) {
      this.free--;
      releases.push(this.releaser());
    }
    return releases;
  }

  private async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.releaser();
  }

  private releaser(): () => void {
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

/** The sent log's row of one email of a message. */
function rowOf(sending: Sending, { email, kind }: Email, status: SentEmailRow['status'], smtpResponse: string): SentEmailRow {
  return {
    messageId: sending.messageId,
    orderId: sending.orderId,
    kind,
    recipient: email.to.address,
    status,
    smtpResponse,
    emailMessageId: email.messageId,
  };
}

/**
 * Takes the next chunk out of `waiting`: up to `size` messages in their order, at most one per
 * order (a sign-in link is alone), so that each order's next message is decided after this one's
 * emails are in the sent log.
 */
function takeChunk(waiting: Sending[], size: number): Sending[] {
  const chunk: Sending[] = [];
  const orders = new Set<string>();
  for (let index = 0; index < waiting.length && chunk.length < size;) {
    const key = waiting[index].orderId ?? `message ${waiting[index].messageId}`;
    if (orders.has(key)) {
      index++;
      continue;
    }
    orders.add(key);
    chunk.push(...waiting.splice(index, 1));
  }
  return chunk;
}

/** The counters and the latency histogram, once a chunk committed. */
function count(outcome: Outcome): void {
  if ('emails' in outcome) {
    for (const email of outcome.emails) {
      emailOutcomes.inc({ kind: email.kind, outcome: 'sent' });
      emailLatency.observe({ kind: email.kind }, (Date.now() - Date.parse(email.changedAt)) / 1_000);
    }
  }
  if (outcome.status !== 'sent')
    emailOutcomes.inc({ kind: outcome.kind, outcome: outcome.status === 'refused' && outcome.repeated ? 'duplicate' : outcome.status });
}
