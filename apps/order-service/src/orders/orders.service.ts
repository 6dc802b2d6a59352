import { Injectable, Logger, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { event, QUEUES, SHOP_CURRENCY, type CreateOrderRequest, type IntegrationEvent, type OrderStatus, type OrderView } from '@shop/contracts';
import { InboxService, OutboxService } from '@shop/outbox';
import { singletonMetric } from '@shop/platform';
import { createHash, randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { CatalogService } from '../catalog/catalog.service';
import { contradicts, nextStatus, type StockResultType } from './order-status';
import { Order } from './order.entity';
import { toOrderView } from './order.view';
import { OrdersRepository } from './orders.repository';
import { priceLines } from './pricing';

const ordersPlaced = singletonMetric('orders_placed_total', () => new Counter({ name: 'orders_placed_total', help: 'Orders accepted (201)' }));
const ordersSettled = singletonMetric(
  'orders_settled_total',
  () => new Counter({ name: 'orders_settled_total', help: 'Orders that reached a final status', labelNames: ['status'] }),
);

/** Why a result changed nothing: `contradiction` (the opposite of the order's final status) should never happen, and is alerted on. */
const IGNORED_RESULTS = ['repeat', 'contradiction', 'unknown-order'] as const;
type IgnoredResult = (typeof IGNORED_RESULTS)[number];
const stockResultsIgnored = singletonMetric('stock_results_ignored_total', () => {
  const counter = new Counter({ name: 'stock_results_ignored_total', help: 'Stock results that changed no order, by why', labelNames: ['reason'] });
  // Every reason from 0: a series that first appears at 1 is no increase to Prometheus, so the first contradiction would not alert.
  for (const reason of IGNORED_RESULTS) counter.inc({ reason }, 0);
  return counter;
});

export interface PlacedOrder {
  order: OrderView;
  /** True when the idempotency key was seen before and this is the original order. */
  replayed: boolean;
}

export interface StockResult {
  messageId: string;
  type: StockResultType;
  orderId: string;
  reason: string | null;
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

    const id = randomUUID();
    const newOrder = {
      id,
      customerName: request.customer.name,
      customerEmail: request.customer.email,
      totalCents: priced.totalCents,
      idempotencyKey,
      requestHash,
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
      return { order: toOrderView(original), replayed: true };
    }
    ordersPlaced.inc();
    const order = Object.assign(new Order(), newOrder, { status: 'PENDING', statusReason: null, createdAt, updatedAt: createdAt, lines: priced.lines });
    return { order: toOrderView(order), replayed: false };
  }

  async getOrder(id: string): Promise<OrderView> {
    const order = await this.orders.findById(this.dataSource.manager, id);
    if (!order) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `order ${id} does not exist` });
    return toOrderView(order);
  }

  /** The orders of a shopper session's email (the session proved the email is theirs), newest first, at most 50. */
  async listForSession(email: string): Promise<OrderView[]> {
    return (await this.orders.findByEmail(this.dataSource.manager, email, 50)).map(toOrderView);
  }

  /**
   * Applies `stock.reserved` / `stock.rejected` once per message, for a batch of messages in one
   * transaction: the inbox rows, the transitions (in message order) and their notifications commit
   * together. An event that does not fit the order's status is a no-op.
   */
  async applyStockResults(results: StockResult[]): Promise<void> {
    const { settled, ignored } = await this.dataSource.transaction(async (manager) => {
      const ignored: IgnoredResult[] = [];
      const todo = await this.inbox.claimMany(manager, QUEUES.ordersStockResults, results);
      const applied = new Set(todo);
      for (const result of results.filter((result) => !applied.has(result))) {
        this.logger.log(`duplicate ${result.type} ${result.messageId} for order ${result.orderId}: already applied`);
      }
      if (todo.length === 0) return { settled: [], ignored };

      const statuses = await this.orders.lockStatuses(
        manager,
        todo.map((result) => result.orderId),
      );
      const changes = new Map<string, { id: string; status: OrderStatus; reason: string | null }>();
      for (const result of todo) {
        const current = statuses.get(result.orderId);
        if (!current) {
          this.logger.warn(`${result.type} for unknown order ${result.orderId}: ignored`);
          ignored.push('unknown-order');
          continue;
        }
        const next = nextStatus(current, result.type);
        if (!next && contradicts(current, result.type)) {
          this.logger.error(`${result.type} contradicts order ${result.orderId}, already ${current}: ignored, the order stays ${current}`);
          ignored.push('contradiction');
          continue;
        }
        if (!next) {
          this.logger.log(`${result.type} for order ${result.orderId}, already ${current}: nothing to change`);
          ignored.push('repeat');
          continue;
        }
        statuses.set(result.orderId, next);
        changes.set(result.orderId, { id: result.orderId, status: next, reason: result.reason });
      }
      const changedAt = await this.orders.updateStatuses(manager, [...changes.values()]);
      // The order's lifecycle event commits with its new status (the outbox), carrying what a receiver
      // needs without calling back: who ordered, what, for how much.
      if (changes.size > 0) {
        const orders = await this.orders.findByIds(manager, [...changes.keys()]);
        await this.outbox.add(
          manager,
          orders.map((order) => lifecycleEvent(order, changes.get(order.id)!, changedAt.get(order.id)!)),
        );
      }
      return { settled: [...changes.values()], ignored };
    });
    for (const { status } of settled) ordersSettled.inc({ status });
    for (const reason of ignored) stockResultsIgnored.inc({ reason });
  }
}

/** `order.confirmed` or `order.rejected` for an order that just changed to that status. */
function lifecycleEvent(
  order: Order,
  change: { status: OrderStatus; reason: string | null },
  at: Date,
): IntegrationEvent<'order.confirmed'> | IntegrationEvent<'order.rejected'> {
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
  const trace = { correlationId: order.id };
  return change.status === 'CONFIRMED'
    ? event('order.confirmed', { ...state, confirmedAt: at.toISOString() }, trace)
    : event('order.rejected', { ...state, reason: change.reason ?? 'the order could not be confirmed', rejectedAt: at.toISOString() }, trace);
}

function unprocessable(issues: { field: string; message: string }[]): UnprocessableEntityException {
  return new UnprocessableEntityException({
    statusCode: 422,
    error: 'Unprocessable Entity',
    message: issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '),
    issues,
  });
}
