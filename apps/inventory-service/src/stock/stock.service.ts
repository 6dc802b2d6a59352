import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { event, QUEUES, type IntegrationEvent, type OrderPlacedV1, type StockLevelView } from '@shop/contracts';
import { InboxService, OutboxService } from '@shop/outbox';
import { singletonMetric } from '@shop/platform';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { decideOrder, type OrderDecision } from './reservation-decision';
import { StockRepository } from './stock.repository';
import type { Stock } from './stock.entity';

const reservationOutcomes = singletonMetric(
  'stock_reservations_total',
  () => new Counter({ name: 'stock_reservations_total', help: 'order.placed messages handled, by outcome', labelNames: ['outcome'] }),
);

/** An `order.placed` message as the consumer hands it over: the fields of version 1, all inventory reads. */
export interface PlacedOrderMessage {
  payload: OrderPlacedV1;
  messageId: string;
  correlationId?: string;
  traceparent?: string;
}

/** `repeated`: a copy of an order decided before, answered with that decision. */
type Outcome = 'reserved' | 'rejected' | 'repeated';

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
   * seen before is skipped), the stock rows locked in sku order, the decisions recorded before (an
   * order decided under another message id, or earlier in this batch, gets that decision again and
   * takes nothing), then for each new order all lines or none (orders decided in message order, as
   * if one after the other): its decision, decrements and reservations, and per message a
   * `stock.reserved` or `stock.rejected` for the order service.
   */
  async reserveStock(messages: PlacedOrderMessage[]): Promise<void> {
    const outcomes = await this.dataSource.transaction(async (manager) => {
      const todo = await this.inbox.claimMany(manager, QUEUES.inventoryOrderPlaced, messages);
      const outcomes: Outcome[] = [];
      if (todo.length === 0) return outcomes;

      const available = await this.stock.lockStock(
        manager,
        todo.flatMap(({ payload }) => payload.lines.map((line) => line.sku)),
      );
      // After the locks: a copy decided by a transaction holding these rows is visible now.
      const decided = await this.stock.findDecisions(
        manager,
        todo.map(({ payload }) => payload.orderId),
      );
      const newDecisions: { orderId: string; decision: OrderDecision }[] = [];
      const reservations: { orderId: string; sku: string; quantity: number }[] = [];
      const answers: StockResult[] = [];
      const now = new Date();
      for (const { payload: order, messageId, correlationId, traceparent } of todo) {
        const { decision, repeated } = decideOrder(order.lines, available, decided.get(order.orderId), now);
        answers.push(resultEvent(order.orderId, decision, { correlationId: correlationId ?? order.orderId, traceparent }));
        if (repeated) {
          this.logger.warn(
            `order ${order.orderId} was decided before (${decision.reserve ? 'reserved' : 'rejected'}); message ${messageId} gets that answer again`,
          );
          outcomes.push('repeated');
          continue;
        }
        decided.set(order.orderId, decision);
        newDecisions.push({ orderId: order.orderId, decision });
        outcomes.push(decision.reserve ? 'reserved' : 'rejected');
        if (!decision.reserve) continue;
        for (const line of decision.lines) {
          available.set(line.sku, available.get(line.sku)! - line.quantity);
          reservations.push({ orderId: order.orderId, ...line });
        }
      }
      // The rows are locked and the sums were checked above, so this cannot fall short; the condition still guards the invariant.
      const skus = new Set(reservations.map((line) => line.sku)).size;
      if (newDecisions.length > 0 && (await this.stock.recordDecisions(manager, newDecisions, reservations)) !== skus) {
        throw new Error('stock changed under its lock');
      }
      await this.outbox.add(manager, answers);
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

type StockResult = IntegrationEvent<'stock.reserved'> | IntegrationEvent<'stock.rejected'>;

/** The answer to the order service; a repeated decision gives the same message as the first time. */
function resultEvent(orderId: string, decision: OrderDecision, trace: { correlationId: string; traceparent?: string }): StockResult {
  const decidedAt = decision.decidedAt.toISOString();
  return decision.reserve
    ? event('stock.reserved', { schemaVersion: 1, orderId, lines: decision.lines, reservedAt: decidedAt }, trace)
    : event('stock.rejected', { schemaVersion: 1, orderId, sku: decision.sku, reason: decision.reason, rejectedAt: decidedAt }, trace);
}

const notStocked = (sku: string) => new NotFoundException({ statusCode: 404, error: 'Not Found', message: `sku ${sku} is not stocked` });
