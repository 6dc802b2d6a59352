import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { event, QUEUES, type IntegrationEvent, type OrderPlacedV1, type OrderReleaseRequest, type StockLevelView } from '@shop/contracts';
import { InboxService, OutboxService } from '@shop/outbox';
import { singletonMetric } from '@shop/platform';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { decideBatch, decideReleases, unitsGivenBack, type OrderDecision, type OrderRecord } from './reservation-decision';
import { StockRepository } from './stock.repository';
import type { Stock } from './stock.entity';

const reservationOutcomes = singletonMetric(
  'stock_reservations_total',
  () => new Counter({ name: 'stock_reservations_total', help: 'order.placed messages handled, by outcome', labelNames: ['outcome'] }),
);
const releaseOutcomes = singletonMetric(
  'stock_releases_total',
  () =>
    new Counter({
      name: 'stock_releases_total',
      help: 'order.rejected and order.cancelled messages handled by inventory, by outcome',
      labelNames: ['outcome'],
    }),
);

/** An `order.placed` message as the consumer hands it over: the fields of version 1, all inventory reads. */
export interface PlacedOrderMessage {
  payload: OrderPlacedV1;
  messageId: string;
  correlationId?: string;
  traceparent?: string;
}

/** An `order.rejected` or `order.cancelled` message as the consumer hands it over: which order to release. */
export interface ReleaseRequestMessage {
  payload: OrderReleaseRequest;
  messageId: string;
  correlationId?: string;
  traceparent?: string;
}

const toView = (stock: Stock): StockLevelView => ({ sku: stock.sku, available: stock.available, updatedAt: stock.updatedAt.toISOString() });

@Injectable()
export class StockService {
  private readonly logger = new Logger(StockService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly stock: StockRepository,
    private readonly inbox: InboxService,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * Decides each order once, for a batch of messages in one transaction: the inbox rows (a message
   * seen before is skipped), the orders' locks, the stock rows locked in sku order, what was recorded
   * about the orders; then decideBatch says what to write and answer, and this writes it: the new
   * decisions, decrements and reservations, and per message a `stock.reserved` or `stock.rejected`
   * (none for an order released before it came: a tombstone).
   */
  async reserveStock(messages: PlacedOrderMessage[]): Promise<void> {
    const outcomes = await this.dataSource.transaction(async (manager) => {
      const todo = await this.inbox.claimMany(manager, QUEUES.inventoryOrderPlaced, messages);
      if (todo.length === 0) return [];

      const orderIds = todo.map(({ payload }) => payload.orderId);
      await this.stock.lockOrders(manager, orderIds);
      const available = await this.stock.lockStock(
        manager,
        todo.flatMap(({ payload }) => payload.lines.map((line) => line.sku)),
      );
      const recorded = await this.stock.findRecords(manager, orderIds);
      const batch = decideBatch(todo, available, decisionsOf(recorded), new Date());

      // The rows are locked and the sums were checked by decideBatch, so this cannot fall short; the condition still guards the invariant.
      const skus = new Set(batch.reservations.map((line) => line.sku)).size;
      if (batch.decisions.length > 0 && (await this.stock.recordDecisions(manager, batch.decisions, batch.reservations)) !== skus) {
        throw new Error('stock changed under its lock');
      }
      await this.outbox.add(
        manager,
        batch.answers.map(({ message, decision }) => resultEvent(message.payload.orderId, decision, traceOf(message))),
      );
      return batch.outcomes;
    });
    for (const { message, outcome } of outcomes) {
      if (outcome === 'repeated') this.logger.warn(`order ${message.payload.orderId} was decided before; message ${message.messageId} gets that answer again`);
      if (outcome === 'cancelled-before-reservation') {
        this.logger.warn(
          `order ${message.payload.orderId} was released before its order.placed came (message ${message.messageId}): it takes nothing and gets no answer`,
        );
      }
      reservationOutcomes.inc({ outcome });
    }
    reservationOutcomes.inc({ outcome: 'duplicate' }, messages.length - outcomes.length);
  }

  /**
   * Gives back what each order holds, exactly once, for a batch of order.rejected / order.cancelled
   * messages in one transaction: the inbox rows (a message seen before is skipped), the orders'
   * locks (a reservation of the same order waits, or is waited for), what was recorded about them,
   * the stock rows of the lines to give back in sku order; then decideReleases says what to write
   * and answer, and this writes it: tombstones for orders not decided yet, a release per order
   * (its primary key refuses a second), the units back, and one `stock.released` per order, the first
   * time only (a repeated release publishes nothing; order-service treats any repeat as a no-op).
   */
  async releaseStock(messages: ReleaseRequestMessage[]): Promise<void> {
    const outcomes = await this.dataSource.transaction(async (manager) => {
      const todo = await this.inbox.claimMany(manager, QUEUES.inventoryOrderReleases, messages);
      if (todo.length === 0) return [];

      const orderIds = todo.map(({ payload }) => payload.orderId);
      await this.stock.lockOrders(manager, orderIds);
      const recorded = await this.stock.findRecords(manager, orderIds);
      const batch = decideReleases(todo, recorded, new Date());

      const givenBack = unitsGivenBack(batch.releases);
      await this.stock.lockStock(
        manager,
        givenBack.map((line) => line.sku),
      );
      if (batch.releases.length > 0 && (await this.stock.recordReleases(manager, batch.tombstones, batch.releases, givenBack)) !== givenBack.length) {
        throw new Error('a released sku is no longer stocked');
      }
      await this.outbox.add(
        manager,
        batch.answers.map(({ message, release }) =>
          event(
            'stock.released',
            { schemaVersion: 1, orderId: message.payload.orderId, lines: release.lines, releasedAt: release.releasedAt.toISOString() },
            traceOf(message),
          ),
        ),
      );
      return batch.outcomes;
    });
    for (const { message, outcome } of outcomes) {
      if (outcome === 'repeated') this.logger.warn(`order ${message.payload.orderId} was released before; message ${message.messageId} changes nothing`);
      if (outcome === 'cancelled-before-reservation') {
        this.logger.warn(`order ${message.payload.orderId} is released before inventory decided it: its order.placed, if it comes, will take nothing`);
      }
      releaseOutcomes.inc({ outcome });
    }
    releaseOutcomes.inc({ outcome: 'duplicate' }, messages.length - outcomes.length);
  }

  async listStock(): Promise<StockLevelView[]> {
    return (await this.stock.listStock(this.dataSource.manager)).map(toView);
  }

  async getStock(sku: string): Promise<StockLevelView> {
    const stock = await this.stock.findStock(this.dataSource.manager, sku);
    if (!stock) throw notStocked(sku);
    return toView(stock);
  }

  async restock(sku: string, quantity: number): Promise<StockLevelView> {
    const stock = await this.stock.restock(this.dataSource.manager, sku, quantity);
    if (!stock) throw notStocked(sku);
    this.logger.log(`restocked ${sku} by ${quantity} to ${stock.available}`);
    return toView(stock);
  }
}

type StockResult = IntegrationEvent<'stock.reserved'> | IntegrationEvent<'stock.rejected'>;

/** The answer to the order service; a repeated decision gives the same message as the first time. */
function resultEvent(
  orderId: string,
  decision: Exclude<OrderDecision, { outcome: 'cancelled' }>,
  trace: { correlationId: string; traceparent?: string },
): StockResult {
  const decidedAt = decision.decidedAt.toISOString();
  return decision.outcome === 'reserved'
    ? event('stock.reserved', { schemaVersion: 1, orderId, lines: decision.lines, reservedAt: decidedAt }, trace)
    : event('stock.rejected', { schemaVersion: 1, orderId, sku: decision.sku, reason: decision.reason, rejectedAt: decidedAt }, trace);
}

const traceOf = (message: { payload: { orderId: string }; correlationId?: string; traceparent?: string }) => ({
  correlationId: message.correlationId ?? message.payload.orderId,
  traceparent: message.traceparent,
});

const decisionsOf = (records: ReadonlyMap<string, OrderRecord>) => new Map([...records].map(([orderId, record]) => [orderId, record.decision]));

const notStocked = (sku: string) => new NotFoundException({ statusCode: 404, error: 'Not Found', message: `sku ${sku} is not stocked` });
