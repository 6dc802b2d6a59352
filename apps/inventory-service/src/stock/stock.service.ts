import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { EVENTS, QUEUES, ROUTING_KEYS, type OrderPlaced, type StockLevelView, type StockRejected, type StockReserved } from '@shop/contracts';
import { InboxService, OutboxService, type OutboxEvent } from '@shop/outbox';
import { singletonMetric } from '@shop/platform';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { decideReservation } from './reservation-decision';
import { StockRepository } from './stock.repository';
import type { Stock } from './stock.entity';

const reservationOutcomes = singletonMetric(
  'stock_reservations_total',
  () => new Counter({ name: 'stock_reservations_total', help: 'order.placed messages handled, by outcome', labelNames: ['outcome'] }),
);

/** An `order.placed` message as the consumer hands it over (a `Delivery<OrderPlaced>`). */
export interface PlacedOrderMessage {
  payload: OrderPlaced;
  messageId: string;
  correlationId?: string;
  traceparent?: string;
}

type Outcome = 'reserved' | 'rejected' | 'already-reserved';

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
   * Reserves each order's stock exactly once, for a batch of messages in one transaction: the inbox
   * rows (a message seen before is skipped), the decrements (for each order all lines or none; orders
   * decided in message order, as if one after the other), the reservations, and a `stock.reserved`
   * or `stock.rejected` message per order for the order service.
   */
  async reserveStock(messages: PlacedOrderMessage[]): Promise<void> {
    const outcomes = await this.dataSource.transaction(async (manager) => {
      const todo = await this.inbox.claimMany(manager, QUEUES.inventoryOrderPlaced, messages);
      const outcomes: Outcome[] = [];
      if (todo.length === 0) return outcomes;

      const { available, alreadyReserved } = await this.stock.lockForReservation(
        manager,
        todo.map(({ payload }) => payload.orderId),
        todo.flatMap(({ payload }) => payload.lines.map((line) => line.sku)),
      );
      const reservations: { orderId: string; sku: string; quantity: number }[] = [];
      const answers: OutboxEvent[] = [];
      for (const { payload: order, messageId, correlationId, traceparent } of todo) {
        if (alreadyReserved.has(order.orderId)) {
          this.logger.warn(`order ${order.orderId} already has a reservation (message ${messageId}): ignored`);
          outcomes.push('already-reserved');
          continue;
        }
        const decision = decideReservation(order.lines, available);
        const publish = { correlationId: correlationId ?? order.orderId, traceparent };
        if (!decision.reserve) {
          const rejected: StockRejected = {
            schemaVersion: 1,
            orderId: order.orderId,
            sku: decision.sku,
            reason: decision.reason,
            rejectedAt: new Date().toISOString(),
          };
          answers.push({ exchange: EVENTS[ROUTING_KEYS.stockRejected].exchange, routingKey: ROUTING_KEYS.stockRejected, payload: rejected, ...publish });
          outcomes.push('rejected');
          continue;
        }
        for (const line of decision.lines) {
          available.set(line.sku, available.get(line.sku)! - line.quantity);
          reservations.push({ orderId: order.orderId, ...line });
        }
        alreadyReserved.add(order.orderId);
        const reserved: StockReserved = { schemaVersion: 1, orderId: order.orderId, lines: decision.lines, reservedAt: new Date().toISOString() };
        answers.push({ exchange: EVENTS[ROUTING_KEYS.stockReserved].exchange, routingKey: ROUTING_KEYS.stockReserved, payload: reserved, ...publish });
        outcomes.push('reserved');
      }
      // The rows are locked and the sums were checked above, so this cannot fall short; the condition still guards the invariant.
      const skus = new Set(reservations.map((line) => line.sku)).size;
      if (skus > 0 && (await this.stock.reserve(manager, reservations)) !== skus) {
        throw new Error('stock changed under its lock');
      }
      await this.outbox.enqueueMany(manager, answers);
      return outcomes;
    });
    for (const outcome of outcomes) reservationOutcomes.inc({ outcome });
    reservationOutcomes.inc({ outcome: 'duplicate' }, messages.length - outcomes.length);
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

const notStocked = (sku: string) => new NotFoundException({ statusCode: 404, error: 'Not Found', message: `sku ${sku} is not stocked` });
