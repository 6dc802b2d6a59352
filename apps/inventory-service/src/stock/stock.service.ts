import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { EVENTS, QUEUES, ROUTING_KEYS, type OrderPlaced, type StockLevelView, type StockRejected, type StockReserved } from '@shop/contracts';
import { InboxService, OutboxService } from '@shop/outbox';
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

export interface MessageTrace {
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
   * Reserves an order's stock exactly once. In one transaction: the inbox row (a redelivered
   * message stops there), the decrements (all lines or none), the reservations, and the
   * `stock.reserved` or `stock.rejected` message for the order service.
   */
  async reserveStock(event: OrderPlaced, trace: MessageTrace): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const outcome = await this.inbox.runOnce(manager, QUEUES.inventoryOrderPlaced, trace.messageId, async () => {
        const { available, alreadyReserved } = await this.stock.lockForReservation(
          manager,
          event.orderId,
          event.lines.map((line) => line.sku),
        );
        if (alreadyReserved) {
          this.logger.warn(`order ${event.orderId} already has a reservation (message ${trace.messageId}): ignored`);
          return 'already-reserved';
        }
        const decision = decideReservation(event.lines, available);
        const publish = { correlationId: trace.correlationId ?? event.orderId, traceparent: trace.traceparent };

        if (!decision.reserve) {
          const rejected: StockRejected = {
            schemaVersion: 1,
            orderId: event.orderId,
            sku: decision.sku,
            reason: decision.reason,
            rejectedAt: new Date().toISOString(),
          };
          await this.outbox.enqueue(manager, {
            exchange: EVENTS[ROUTING_KEYS.stockRejected].exchange,
            routingKey: ROUTING_KEYS.stockRejected,
            payload: rejected,
            ...publish,
          });
          return 'rejected';
        }
        // The rows are locked, so this cannot fall short; the condition still guards the invariant.
        if ((await this.stock.reserve(manager, event.orderId, decision.lines)) !== decision.lines.length) {
          throw new Error(`stock of order ${event.orderId} changed under its lock`);
        }
        const reserved: StockReserved = { schemaVersion: 1, orderId: event.orderId, lines: decision.lines, reservedAt: new Date().toISOString() };
        await this.outbox.enqueue(manager, {
          exchange: EVENTS[ROUTING_KEYS.stockReserved].exchange,
          routingKey: ROUTING_KEYS.stockReserved,
          payload: reserved,
          ...publish,
        });
        return 'reserved';
      });
      reservationOutcomes.inc({ outcome: outcome.duplicate ? 'duplicate' : outcome.result });
    });
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
