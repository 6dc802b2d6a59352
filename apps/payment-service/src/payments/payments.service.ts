import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  event,
  QUEUES,
  type AuthorizationStatus,
  type AuthorizationView,
  type AuthorizeRequest,
  type IntegrationEvent,
  type OrderCancelled,
  type OrderConfirmed,
  type OrderReserved,
} from '@shop/contracts';
import { UnprocessableMessageError } from '@shop/messaging';
import { InboxService, OutboxService } from '@shop/outbox';
import { singletonMetric } from '@shop/platform';
import { Counter } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { isProviderOutage, PaymentProviderClient, ProviderProtocolError, type ProviderResult } from './payment-provider.client';
import { IGNORED_REASONS, nextPaymentStep, type IgnoredReason, type PaymentStep } from './payment-step';
import { PaymentsRepository, type PaymentRow } from './payments.repository';

const QUEUE = QUEUES.paymentsOrderPayments;

const paymentOutcomes = singletonMetric(
  'payments_total',
  () => new Counter({ name: 'payments_total', help: 'Order events handled by payment-service, by what became of the payment', labelNames: ['outcome'] }),
);
const ignoredEvents = singletonMetric('payment_events_ignored_total', () => {
  const counter = new Counter({ name: 'payment_events_ignored_total', help: 'Order events that changed no payment, by why', labelNames: ['reason'] });
  // Every reason from 0: a series that first appears at 1 is no increase to Prometheus, so the first contradiction would not alert.
  for (const reason of IGNORED_REASONS) counter.inc({ reason }, 0);
  return counter;
});

/** An order event as the consumer hands it over. */
export type OrderPaymentMessage = (
  | { type: 'order.reserved'; payload: OrderReserved }
  | { type: 'order.confirmed'; payload: OrderConfirmed }
  | { type: 'order.cancelled'; payload: OrderCancelled }
) & { messageId: string; correlationId?: string; traceparent?: string };

type Outcome = 'authorized' | 'declined' | 'captured' | 'voided' | 'refunded' | 'cancelled-before-authorization' | 'ignored' | 'duplicate';
type PaymentResult = IntegrationEvent<'payment.authorized' | 'payment.declined' | 'payment.captured' | 'payment.voided' | 'payment.refunded'>;

/** The idempotency key of each money movement: one per order and operation, so a retry can never move money twice. */
export const idempotencyKey = (orderId: string, operation: 'authorize' | 'capture' | 'void' | 'refund') => `${orderId}:${operation}`;

/** Words for the decline codes, for a provider that sends a code without a reason. */
const DECLINE_WORDS: Record<string, string> = {
  card_declined: 'The card was declined.',
  insufficient_funds: 'The card has insufficient funds.',
};

@Injectable()
export class PaymentsService {
  private readonly logger = new Logger(PaymentsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly payments: PaymentsRepository,
    private readonly provider: PaymentProviderClient,
    private readonly inbox: InboxService,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * Handles a batch's messages one after the other, each in its own transaction (the transport hands
   * payment-service batches of one, PAYMENT_CONCURRENCY at once: see app.ts), so one slow provider
   * call never holds up or rolls back another order's payment. A failure is rethrown once the others
   * are done; the transport then retries the batch (or, for an error that is not an outage, each
   * message alone), and the inbox skips those that committed.
   */
  async handle(messages: OrderPaymentMessage[]): Promise<void> {
    const failures: unknown[] = [];
    for (const message of messages) {
      try {
        paymentOutcomes.inc({ outcome: await this.handleOne(message) });
      } catch (err) {
        failures.push(err);
      }
    }
    // An error that counts goes first, so the transport handles each message alone and counts only the bad one.
    if (failures.length > 0) throw failures.find((err) => !isProviderOutage(err)) ?? failures[0];
  }

  /**
   * One message, exactly once per order: the order's payment row locked, the inbox row (a message
   * seen before ends here), the step for the payment's status, the provider call, the new status and
   * its event, one commit.
   *
   * The row lock is held across the provider call. That is what makes "once per order" hold across
   * replicas and any message order: a second message of the order (a copy under another id, a
   * cancel racing the authorization) waits, then sees the answer. It is acceptable because the call
   * is bounded (PAYMENT_PROVIDER_TIMEOUT_MS, at most two calls, below the database's idle-in-transaction
   * timeout) and costs one pool connection per message in flight. If a call fails, everything rolls
   * back and the retry asks again with the same idempotency key, which the provider answers with the
   * first call's result. An authorization's intent (`authorizing`, with the request) is committed
   * before the call, on its own, and stays when the answer never came (the message's transaction
   * rolls back, inbox row and all, and the message is retried): a cancel then asks again with the
   * same key and releases whatever it holds, instead of leaving a tombstone over a hold. The unacked order.reserved is redelivered, so no sweeper is needed.
   */
  private async handleOne(message: OrderPaymentMessage): Promise<Outcome> {
    const { orderId } = message.payload;
    if (message.type === 'order.reserved') {
      // The intent, committed before the provider is ever asked: if this process dies after the provider
      // held the money but before the commit below, a cancel finds `authorizing` (and voids whatever the
      // same key holds) instead of no row (and a tombstone over a hold nobody would release).
      const { token } = message.payload.payment;
      await this.payments.recordAuthorizationIntent(this.dataSource.manager, orderId, {
        token,
        amountCents: message.payload.totalCents,
        currency: message.payload.currency,
      });
    }
    return this.dataSource
      .transaction(async (manager): Promise<Outcome> => {
        // The message's inbox claim rides on the first locking read: one round trip.
        const { payment, fresh } = await this.payments.lockPayment(manager, orderId, (lock) =>
          this.inbox.claimWith<PaymentRow>(manager, QUEUE, message.messageId, lock),
        );
        // Seen before: nothing to do, and a placeholder just written for it must not stay.
        if (!fresh && payment === null) throw new SeenBefore();
        if (!fresh) return 'duplicate';
        const step = nextPaymentStep(message.type, payment?.status ?? null);
        const trace = { correlationId: message.correlationId ?? orderId, traceparent: message.traceparent };
        // What an authorization asks, when this step asks for one (from the event, or kept from the attempt whose answer never came).
        const request =
          step.action === 'authorize' && message.type === 'order.reserved'
            ? { token: message.payload.payment.token, amountCents: message.payload.totalCents, currency: message.payload.currency }
            : step.action === 'resolve-then-void'
              ? { token: payment!.paymentToken!, amountCents: payment!.amountCents!, currency: payment!.currency! }
              : null;
        // A call whose answer never came rolls everything back, the inbox row included, so the message is retried. The row then
        // says what it said before: `authorizing` with the request (the intent above, or the attempt before), which is what a
        // cancel needs to ask again with the same key and release whatever is held.
        return this.apply(manager, message, step, payment, request, trace);
      })
      .catch((err: unknown) => {
        if (err instanceof SeenBefore) return 'duplicate' as const;
        throw err;
      });
  }

  private async apply(
    manager: EntityManager,
    message: OrderPaymentMessage,
    step: PaymentStep,
    payment: PaymentRow | null,
    request: AuthorizationRequest | null,
    trace: Trace,
  ): Promise<Outcome> {
    const { orderId } = message.payload;
    switch (step.action) {
      case 'ignore':
        this.ignore(message, payment!, step.reason);
        return 'ignored';
      case 'missing-payment':
        // order.confirmed follows payment.authorized, which commits with the row: retried (and counted) in case the order is not here yet.
        this.logger.error(
          `${message.type} for order ${orderId} (message ${message.messageId}), whose payment is ${payment?.status ?? 'missing'}: out of order, retried`,
        );
        throw new Error(`${message.type} for order ${orderId}, which has no authorized payment yet`);
      case 'tombstone':
        await this.payments.recordTombstone(manager, orderId, new Date());
        this.logger.log(`order ${orderId} cancelled before any authorization: a late order.reserved will charge nothing`);
        return 'cancelled-before-authorization';
      case 'authorize':
        return (await this.authorize(manager, orderId, request!, trace)).status;
      case 'resolve-then-void': {
        // Cancelled before the answer came: the same key gives the first answer (or authorizes now), and whatever is held is released.
        const authorization = await this.authorize(manager, orderId, request!);
        if (authorization.status === 'declined') return 'declined';
        this.logger.warn(`order ${orderId} was cancelled while its authorization's answer was unknown: it was authorized, voiding it`);
        return this.void(
          manager,
          { ...payment!, authorizationId: authorization.id, amountCents: authorization.amountCents, currency: authorization.currency },
          trace,
        );
      }
      case 'capture': {
        const result = await this.provider.capture(payment!.authorizationId!, idempotencyKey(orderId, 'capture'));
        const status = statusAfter(result);
        // A void that reached the provider but not our commit (its order.cancelled is being retried): record what the provider holds.
        if (status === 'captured' || status === 'voided') return this.settle(manager, payment!, status, trace);
        throw refusal(result, `capture the authorization of order ${orderId}`, status);
      }
      case 'void':
        return this.void(manager, payment!, trace);
      case 'refund':
        return this.refund(manager, payment!, trace);
    }
  }

  /**
   * Asks the provider to authorize (with the order's one key) and records its answer, with its
   * event when `trace` is given (the row and the event in one statement).
   */
  private async authorize(manager: EntityManager, orderId: string, request: AuthorizationRequest, trace?: Trace) {
    const result = await this.provider.authorize({ ...request, reference: orderId }, idempotencyKey(orderId, 'authorize'));
    // A token the provider never issued (or forgot) is the shopper's card to enter again: declined, so the saga gives the stock
    // back and the order ends, instead of a dead letter holding the order RESERVED until an operator acts.
    const authorization =
      result.kind === 'unknown-token'
        ? ({ ...UNKNOWN_TOKEN_DECLINE, reference: orderId, amountCents: request.amountCents, currency: request.currency } as AuthorizationView & {
            status: 'declined';
          })
        : answeredAuthorization(result, ['authorized', 'declined'], 'authorize', orderId);
    const at = new Date();
    const decline = authorization.status === 'declined' ? declineOf(authorization) : null;
    const change = this.payments.authorizationChange(orderId, authorization, decline, at);
    if (trace) await this.outbox.addWith(manager, { ...change, event: outcomeEvent(orderId, authorization, at, decline, trace) });
    else await manager.query(change.statement, change.values);
    if (decline) this.logger.log(`order ${orderId}: payment declined (${decline.code}): ${decline.reason}`);
    return { ...authorization, at, decline };
  }

  private async void(manager: EntityManager, payment: PaymentRow, trace: Trace): Promise<Outcome> {
    const { orderId } = payment;
    const result = await this.provider.void(payment.authorizationId!, idempotencyKey(orderId, 'void'));
    const status = statusAfter(result);
    if (status === 'voided' || status === 'refunded') return this.settle(manager, payment, status, trace);
    // Captured meanwhile (a capture that reached the provider but not our commit): too late to void, so give the money back.
    if (status === 'captured' || (result.kind === 'invalid-state' && status === null)) {
      this.logger.warn(`order ${orderId}: the provider would not void (${result.kind === 'invalid-state' ? result.message : status}); refunding instead`);
      return this.refund(manager, payment, trace);
    }
    throw refusal(result, `void the authorization of order ${orderId}`, status);
  }

  private async refund(manager: EntityManager, payment: PaymentRow, trace: Trace): Promise<Outcome> {
    const result = await this.provider.refund(payment.authorizationId!, idempotencyKey(payment.orderId, 'refund'));
    const status = statusAfter(result);
    if (status === 'refunded') return this.settle(manager, payment, status, trace);
    throw refusal(result, `refund the payment of order ${payment.orderId}`, status);
  }

  /** The payment reached `status` at the provider: the row and its event, in the message's transaction. */
  private async settle(manager: EntityManager, payment: PaymentRow, status: 'captured' | 'voided' | 'refunded', trace: Trace): Promise<Outcome> {
    const at = new Date();
    const authorization = { id: payment.authorizationId!, amountCents: payment.amountCents!, currency: payment.currency!, status };
    await this.outbox.addWith(manager, {
      ...this.payments.statusChange(payment.orderId, status, at),
      event: outcomeEvent(payment.orderId, authorization, at, null, trace),
    });
    return status;
  }

  private ignore(message: OrderPaymentMessage, payment: PaymentRow, reason: IgnoredReason): void {
    const what = `${message.type} for order ${message.payload.orderId} (message ${message.messageId}), whose payment is ${payment.status}: nothing to do (${reason})`;
    if (reason === 'contradiction') this.logger.error(what);
    else this.logger.log(what);
    ignoredEvents.inc({ reason });
  }

  /** The order's payment row, for its trace. */
  findPayment(orderId: string): Promise<PaymentRow | null> {
    return this.payments.findPayment(this.dataSource.manager, orderId);
  }
}

type Trace = { correlationId: string; traceparent?: string };

/** Rolls back the transaction of a message seen before, placeholder included. */
class SeenBefore extends Error {}
type AuthorizationRequest = Omit<AuthorizeRequest, 'reference'>;

/** Where the authorization stands after a call: what the provider answered, or what it said it is when it refused the change. */
function statusAfter(result: ProviderResult): AuthorizationStatus | null {
  return result.kind === 'answered' ? result.authorization.status : result.kind === 'invalid-state' ? result.current : null;
}

/** The decline recorded for a token the provider does not know; no authorization exists at the provider, hence the id. */
const UNKNOWN_TOKEN_DECLINE = {
  id: 'none:invalid_token',
  status: 'declined' as const,
  declineCode: 'invalid_token',
  declineReason: 'The card could not be used. Enter your card details again, or try another card.',
};

function answeredAuthorization<S extends AuthorizationStatus>(result: ProviderResult, expected: S[], operation: string, orderId: string) {
  if (result.kind === 'answered' && (expected as AuthorizationStatus[]).includes(result.authorization.status)) {
    return result.authorization as AuthorizationView & { status: S };
  }
  throw new ProviderProtocolError(
    `${operation} of order ${orderId}: the provider answered ${result.kind === 'answered' ? result.authorization.status : result.message}`,
  );
}

/** A change the provider will not make, for a reason a retry cannot fix: dead-lettered, with the provider's words, for an operator. */
function refusal(result: ProviderResult, attempted: string, status: AuthorizationStatus | null): Error {
  const said = result.kind === 'invalid-state' ? result.message : `the provider answered ${status}`;
  return new UnprocessableMessageError(`cannot ${attempted}: ${said}`);
}

/** The provider's decline code and its reason in plain words (the provider's own, or ours for a code it left unexplained). */
export function declineOf(authorization: Pick<AuthorizationView, 'declineCode' | 'declineReason'>): { code: string; reason: string } {
  const code = authorization.declineCode ?? 'card_declined';
  const reason = authorization.declineReason ?? DECLINE_WORDS[code] ?? DECLINE_WORDS.card_declined;
  return { code: code.slice(0, 100), reason: reason.slice(0, 500) };
}

function outcomeEvent(
  orderId: string,
  authorization: Pick<AuthorizationView, 'id' | 'amountCents' | 'currency' | 'status'>,
  at: Date,
  decline: { code: string; reason: string } | null,
  trace: Trace,
): PaymentResult {
  const outcome = {
    schemaVersion: 1 as const,
    orderId,
    authorizationId: authorization.id,
    amountCents: authorization.amountCents,
    currency: authorization.currency,
    at: at.toISOString(),
  };
  switch (authorization.status) {
    case 'authorized':
      return event('payment.authorized', outcome, trace);
    case 'declined':
      return event('payment.declined', { ...outcome, code: decline!.code, reason: decline!.reason }, trace);
    case 'captured':
      return event('payment.captured', outcome, trace);
    case 'voided':
      return event('payment.voided', outcome, trace);
    case 'refunded':
      return event('payment.refunded', outcome, trace);
  }
}
