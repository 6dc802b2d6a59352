import {
  ConflictException,
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  UnauthorizedException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { context } from '@opentelemetry/api';
import {
  CANCEL_TOKEN_HEADER,
  event,
  QUEUES,
  SHOP_CURRENCY,
  type CreateOrderRequest,
  type IntegrationEvent,
  type OrderView,
  type PlacedOrderView,
  type QueueName,
} from '@shop/contracts';
import { traceparentOf } from '@shop/messaging';
import { InboxService, OutboxService } from '@shop/outbox';
import { singletonMetric } from '@shop/platform';
import { createHash } from 'node:crypto';
import { Counter, Histogram } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { CatalogService } from '../catalog/catalog.service';
import { applySagaEvents, type OrderSagaEvent, type Publication, type SagaOutcome } from './apply-saga-events';
import { authorizeCancel, cancelTokenFor, isCancelTokenOf } from './cancel-token';
import { IGNORED_REASONS, type IgnoredReason, type PaymentResultType, type StockResultType } from './order-saga';
import { newOrderId } from './order-id';
import { Order } from './order.entity';
import { toOrderView } from './order.view';
import { OrdersRepository } from './orders.repository';
import { priceLines } from './pricing';

/** CANCEL_TOKEN_SECRET (or one made up at start): signs each order's cancel capability. */
export const CANCEL_TOKEN_SECRET = Symbol('CANCEL_TOKEN_SECRET');

const confirmationTime = singletonMetric(
  'order_confirmation_seconds',
  () =>
    new Histogram({
      name: 'order_confirmation_seconds',
      help: 'From an order accepted (its 201) to CONFIRMED (stock reserved and payment captured), the wait a shopper sees',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    }),
);
const ordersPlaced = singletonMetric('orders_placed_total', () => new Counter({ name: 'orders_placed_total', help: 'Orders accepted (201)' }));
const ordersSettled = singletonMetric(
  'orders_settled_total',
  () => new Counter({ name: 'orders_settled_total', help: 'Orders that reached CONFIRMED or REJECTED', labelNames: ['status'] }),
);
const ordersCancelled = singletonMetric(
  'orders_cancelled_total',
  () => new Counter({ name: 'orders_cancelled_total', help: 'Orders cancelled by their shopper, by the status they left', labelNames: ['from'] }),
);

/**
 * Why an answer changed nothing, per queue. `contradiction` (an answer the order's history rules out)
 * should never happen, and is alerted on; `late` is an answer for an order its shopper cancelled.
 */
function ignoredCounter(name: string, help: string): Counter {
  return singletonMetric(name, () => {
    const counter = new Counter({ name, help, labelNames: ['reason'] });
    // Every reason from 0: a series that first appears at 1 is no increase to Prometheus, so the first contradiction would not alert.
    for (const reason of IGNORED_REASONS) if (reason !== 'not-cancellable') counter.inc({ reason }, 0);
    return counter;
  });
}
const IGNORED_COUNTERS: Partial<Record<QueueName, Counter>> = {
  [QUEUES.ordersStockResults]: ignoredCounter('stock_results_ignored_total', 'Stock results that changed no order, by why'),
  [QUEUES.ordersPaymentResults]: ignoredCounter('payment_results_ignored_total', 'Payment results that changed no order, by why'),
};

export interface PlacedOrder {
  order: PlacedOrderView;
  /** True when the idempotency key was seen before and this is the original order. */
  replayed: boolean;
}

/** An answer from inventory or payment-service, as consumed. */
export interface SagaResult extends OrderSagaEvent {
  messageId: string;
  type: StockResultType | PaymentResultType;
  /** The delivery's trace context: the events this answer leads to continue the order's trace. */
  traceparent?: string;
}

/** Who asks to cancel an order: the `cancel-token` header and the shopper session's email, each when given. */
export interface CancelRequester {
  cancelToken: string | null;
  sessionEmail: string | null;
}

export interface CancelledOrder {
  order: OrderView;
  /** False when it was already cancelled (the cancel is idempotent). */
  cancelledNow: boolean;
}

@Injectable()
export class OrdersService {
  private readonly logger = new Logger(OrdersService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly orders: OrdersRepository,
    private readonly catalog: CatalogService,
    private readonly inbox: InboxService,
    private readonly outbox: OutboxService,
    @Inject(CANCEL_TOKEN_SECRET) private readonly cancelTokenSecret: string,
  ) {}

  /**
   * Stores the order, its lines and its `order.placed` message in one transaction (one statement).
   * Nothing here talks to the broker or to inventory, so an order is accepted whenever the database is up.
   */
  async placeOrder(idempotencyKey: string, request: CreateOrderRequest): Promise<PlacedOrder> {
    const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const manager = this.dataSource.manager;
    const priced = priceLines(request.lines, await this.catalog.findBySkus(request.lines.map((line) => line.sku)));
    if (!priced.ok) {
      throw unprocessable(priced.unknownLineIndexes.map((index) => ({ field: `lines.${index}.sku`, message: `unknown sku "${request.lines[index].sku}"` })));
    }

    const id = newOrderId();
    const newOrder = {
      id,
      customerName: request.customer.name,
      customerEmail: request.customer.email,
      totalCents: priced.totalCents,
      idempotencyKey,
      requestHash,
      paymentToken: request.payment.token,
    };
    const placed = event(
      'order.placed',
      {
        schemaVersion: 1,
        orderId: id,
        customer: request.customer,
        lines: priced.lines.map(({ sku, productName, quantity, unitPriceCents }) => ({ sku, productName, quantity, unitPriceCents })),
        totalCents: priced.totalCents,
        currency: SHOP_CURRENCY,
        placedAt: new Date().toISOString(),
      },
      { correlationId: id },
    );
    const createdAt = await this.orders.insertOrder(newOrder, priced.lines, placed);
    if (!createdAt) {
      // The key was used before (perhaps a moment ago, by a retry racing this request): answer with that order.
      const original = (await this.orders.findByIdempotencyKey(manager, idempotencyKey))!;
      if (original.requestHash !== requestHash) {
        throw unprocessable([{ field: 'Idempotency-Key', message: 'was already used with a different request body' }]);
      }
      return { order: this.placedView(original), replayed: true };
    }
    ordersPlaced.inc();
    const order = Object.assign(new Order(), newOrder, {
      status: 'PENDING',
      statusReason: null,
      paymentStatus: null,
      paymentReason: null,
      stockReleased: false,
      cancelledAt: null,
      createdAt,
      updatedAt: createdAt,
      lines: priced.lines,
    });
    return { order: this.placedView(order), replayed: false };
  }

  /** The 201's body: the order and its cancel capability, which only its placer ever sees. */
  private placedView(order: Order): PlacedOrderView {
    return { ...toOrderView(order), cancelToken: cancelTokenFor(order.id, this.cancelTokenSecret) };
  }

  async getOrder(id: string): Promise<OrderView> {
    const order = await this.orders.findById(this.dataSource.manager, id);
    if (!order) throw notFound(id);
    return toOrderView(order);
  }

  /** The orders of a shopper session's email (the session proved the email is theirs), newest first, at most 50. */
  async listForSession(email: string): Promise<OrderView[]> {
    return (await this.orders.findByEmail(this.dataSource.manager, email, 50)).map(toOrderView);
  }

  /**
   * Applies a batch of answers from one queue once per message, in one transaction: the inbox rows,
   * the saga's steps (in message order, over the orders locked), the new states with their
   * notifications, and the lifecycle events in the outbox commit together. An answer that does not
   * fit the order is a logged, counted no-op.
   */
  async applyResults(queue: QueueName, results: SagaResult[]): Promise<void> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const todo = await this.inbox.claimMany(manager, queue, results);
      const applied = new Set(todo);
      for (const result of results.filter((result) => !applied.has(result))) {
        this.logger.log(`duplicate ${result.type} ${result.messageId} for order ${result.orderId}: already applied`);
      }
      if (todo.length === 0) return null;
      const orders = await this.orders.lockSagaStates(
        manager,
        todo.map((result) => result.orderId),
      );
      const outcome = applySagaEvents(orders, todo);
      await this.write(manager, outcome, new Map(todo.map((result) => [result.orderId, result.traceparent])));
      return outcome;
    });
    if (!outcome) return;
    for (const { event, reason, status } of outcome.ignored) this.logIgnored(event, reason, status);
    for (const { reason } of outcome.ignored) IGNORED_COUNTERS[queue]?.inc({ reason });
    for (const publication of outcome.publish) {
      if (publication.type === 'order.confirmed') ordersSettled.inc({ status: 'CONFIRMED' });
      if (publication.type === 'order.rejected') ordersSettled.inc({ status: 'REJECTED' });
    }
  }

  /**
   * The shopper's cancel: 401 without a credential, 403 with one that is not the order's, 404 for no
   * such order, 409 for an order that can no longer be cancelled (REJECTED). The saga's cancel step
   * and its order.cancelled commit together, on the locked order: twice is one cancel.
   */
  async cancelOrder(id: string, requester: CancelRequester, reason: string | null): Promise<CancelledOrder> {
    // Without any credential, say so before anything about the order.
    if (requester.cancelToken === null && requester.sessionEmail === null) throw new UnauthorizedException(NO_CANCEL_CREDENTIALS);
    const order = await this.orders.findById(this.dataSource.manager, id);
    if (!order) throw notFound(id);
    const tokenMatches = requester.cancelToken === null ? null : isCancelTokenOf(id, requester.cancelToken, this.cancelTokenSecret);
    if (authorizeCancel({ tokenMatches, sessionEmail: requester.sessionEmail }, order.customerEmail) !== 'allowed') {
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        message: `neither the ${CANCEL_TOKEN_HEADER} header nor the shopper session belongs to order ${id}`,
      });
    }

    const outcome = await this.dataSource.transaction(async (manager) => {
      const orders = await this.orders.lockSagaStates(manager, [id]);
      const outcome = applySagaEvents(orders, [{ orderId: id, type: 'cancel', reason }]);
      await this.write(manager, outcome);
      return { outcome, from: orders.get(id)!.status };
    });
    const [refused] = outcome.outcome.ignored;
    if (refused?.reason === 'not-cancellable') {
      throw new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        message: `order ${id} is ${refused.status}: only a PENDING, RESERVED or CONFIRMED order can be cancelled`,
        status: refused.status,
      });
    }
    const cancelledNow = outcome.outcome.changes.has(id);
    if (cancelledNow) ordersCancelled.inc({ from: outcome.from });
    else this.logger.log(`cancel of order ${id}: already cancelled`);
    return { order: await this.getOrder(id), cancelledNow };
  }

  /** Writes what the saga decided: the new states, then their lifecycle events with the state they carry. */
  private async write(manager: EntityManager, outcome: SagaOutcome<OrderSagaEvent>, traceparents = new Map<string, string | undefined>()): Promise<void> {
    // Each change's notification carries the context of the answer that made it (one of a batch), else the active span's (a shopper's cancel).
    const active = traceparentOf(context.active());
    const changedAt = await this.orders.updateSagaStates(
      manager,
      outcome.changes,
      new Map([...outcome.changes.keys()].map((id) => [id, traceparents.get(id) ?? active])),
    );
    if (outcome.publish.length === 0) return;
    const orders = new Map(
      (await this.orders.findByIds(manager, [...new Set(outcome.publish.map((publication) => publication.orderId))])).map((order) => [order.id, order]),
    );
    await this.outbox.add(
      manager,
      outcome.publish.map((publication) =>
        lifecycleEvent(orders.get(publication.orderId)!, publication, changedAt.get(publication.orderId)!, traceparents.get(publication.orderId)),
      ),
    );
    for (const publication of outcome.publish) {
      const order = orders.get(publication.orderId)!;
      if (publication.type === 'order.confirmed') confirmationTime.observe(Math.max(0, changedAt.get(order.id)!.getTime() - order.createdAt.getTime()) / 1000);
    }
  }

  private logIgnored(event: OrderSagaEvent, reason: IgnoredReason, status: string | null): void {
    const what = `${event.type} for order ${event.orderId}`;
    if (reason === 'unknown-order') this.logger.warn(`${what}: no such order, ignored`);
    else if (reason === 'contradiction') this.logger.error(`${what} contradicts the order, already ${status}: ignored, the order stays ${status}`);
    else if (reason === 'late') this.logger.log(`${what} came after the shopper cancelled it: nothing to change (inventory and payment-service undo it)`);
    else this.logger.log(`${what}, already ${status}: nothing to change`);
  }
}

const NO_CANCEL_CREDENTIALS = {
  statusCode: 401,
  error: 'Unauthorized',
  message: 'send the cancel-token header (the cancelToken returned when the order was placed), or sign in as the shopper who placed it',
};

function notFound(id: string): NotFoundException {
  return new NotFoundException({ statusCode: 404, error: 'Not Found', message: `order ${id} does not exist` });
}

type LifecycleEvent =
  IntegrationEvent<'order.reserved'> | IntegrationEvent<'order.confirmed'> | IntegrationEvent<'order.rejected'> | IntegrationEvent<'order.cancelled'>;

/**
 * A lifecycle event of an order that just changed, carrying what a receiver needs without calling
 * back: who ordered, what, for how much, and what this step adds (the payment token, the cause...).
 */
function lifecycleEvent(order: Order, publication: Publication, at: Date, traceparent: string | undefined): LifecycleEvent {
  const state = {
    schemaVersion: 1 as const,
    orderId: order.id,
    customer: { name: order.customerName, email: order.customerEmail },
    lines: [...order.lines]
      .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))
      .map((line) => ({ sku: line.sku, productName: line.productName, quantity: line.quantity, unitPriceCents: line.unitPriceCents })),
    totalCents: order.totalCents,
    currency: SHOP_CURRENCY,
    placedAt: order.createdAt.toISOString(),
  };
  // Without the message's context (a shopper's cancel), the request's span is the parent.
  const trace = { correlationId: order.id, traceparent };
  switch (publication.type) {
    case 'order.reserved':
      // Only an order placed before payments existed has no token; the message is retried, then dead-lettered for an operator.
      if (!order.paymentToken) throw new Error(`order ${order.id} has no payment token (placed before payments): it cannot be paid`);
      return event('order.reserved', { ...state, payment: { token: order.paymentToken }, reservedAt: at.toISOString() }, trace);
    case 'order.confirmed':
      return event('order.confirmed', { ...state, confirmedAt: at.toISOString() }, trace);
    case 'order.rejected':
      return event(
        'order.rejected',
        { ...state, reason: publication.reason ?? 'the order could not be confirmed', cause: publication.cause ?? 'stock', rejectedAt: at.toISOString() },
        trace,
      );
    case 'order.cancelled':
      return event(
        'order.cancelled',
        { ...state, previousStatus: publication.previousStatus!, paymentHeld: publication.paymentHeld ?? false, cancelledAt: at.toISOString() },
        trace,
      );
  }
}

function unprocessable(issues: { field: string; message: string }[]): UnprocessableEntityException {
  return new UnprocessableEntityException({
    statusCode: 422,
    error: 'Unprocessable Entity',
    message: issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '),
    issues,
  });
}
