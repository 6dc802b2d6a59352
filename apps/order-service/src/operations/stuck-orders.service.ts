import { Inject, Injectable } from '@nestjs/common';
import { ROUTING_KEYS, type OrderStatus, type StuckOrdersView, type StuckOrderView, type StuckReason } from '@shop/contracts';
import { DeadLetterStore, OutboxService } from '@shop/outbox';
import { singletonMetric } from '@shop/platform';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { OrdersRepository } from '../orders/orders.repository';
import { INVENTORY_QUEUE_SLOW_ABOVE } from '../system/confirmation-outlook';
import { SystemService } from '../system/system.service';
import { PeerOperationsClient, PeerUnavailableError } from './peer-operations.client';

export const ORDER_STUCK_AFTER_SECONDS = Symbol('ORDER_STUCK_AFTER_SECONDS');
/** Stuck orders listed at once, oldest first. */
const STUCK_LIST_LIMIT = 100;

/**
 * Orders that stopped moving: PENDING (inventory has not answered), RESERVED (payment has not
 * answered), or final but with their undoing or capture still due (stock not back, money still held,
 * never captured) for longer than ORDER_STUCK_AFTER_SECONDS while their path is healthy (the broker
 * reachable, inventory consuming, its queue not backed up). While the path is not healthy every order
 * is merely late, and none is called stuck. Each comes with the best known reason: the event that
 * should move it on (order.placed, order.reserved) unpublished or parked in the outbox, in the next
 * service's dead letters (or its answer in order-service's own), or unknown.
 */
@Injectable()
export class StuckOrdersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrdersRepository,
    private readonly system: SystemService,
    private readonly outbox: OutboxService,
    private readonly deadLetters: DeadLetterStore,
    private readonly peers: PeerOperationsClient,
    @Inject(ORDER_STUCK_AFTER_SECONDS) private readonly stuckAfterSeconds: number,
  ) {
    const count = () => this.count();
    // Every replica reports the same figure from the one database: alert on max(), not sum().
    singletonMetric(
      'orders_stuck',
      () =>
        new Gauge({
          name: 'orders_stuck',
          help: 'Orders PENDING, RESERVED or with their undoing or capture due past ORDER_STUCK_AFTER_SECONDS while their path is healthy (an operator must look)',
          async collect() {
            this.set(await count().catch(() => 0));
          },
        }),
    );
  }

  /** Whether an order that has not moved can be called stuck now: nothing outside it holds it back. */
  async pathHealthy(): Promise<boolean> {
    const status = await this.system.status();
    return status.broker.reachable && status.inventory.online && (status.inventory.queueDepth ?? 0) <= INVENTORY_QUEUE_SLOW_ABOVE;
  }

  /** How many orders are stuck now (the `orders_stuck` gauge); 0 while the path is not healthy. */
  async count(): Promise<number> {
    if (!(await this.pathHealthy())) return 0;
    return this.orders.countStuck(this.dataSource.manager, this.stuckAfterSeconds);
  }

  async list(): Promise<StuckOrdersView> {
    const pathHealthy = await this.pathHealthy();
    if (!pathHealthy) return { stuckAfterSeconds: this.stuckAfterSeconds, pathHealthy, orders: [], unknown: [] };
    const stuck = await this.orders.findStuck(this.dataSource.manager, this.stuckAfterSeconds, STUCK_LIST_LIMIT);
    const unknown = new Set<string>();
    const orders: StuckOrderView[] = [];
    for (const order of stuck) {
      orders.push({
        orderId: order.id,
        status: order.status,
        createdAt: order.createdAt.toISOString(),
        ageSeconds: Math.round((Date.now() - order.createdAt.getTime()) / 1000),
        reason: await this.reasonFor(order.id, unknown, order.status),
      });
    }
    return { stuckAfterSeconds: this.stuckAfterSeconds, pathHealthy, orders, unknown: [...unknown] };
  }

  /**
   * The best known reason, asking order-service's outbox first (the event that should move the order
   * on: WAITING_ON), then the dead letters of the services that should answer it, then its own.
   */
  async reasonFor(orderId: string, unknown = new Set<string>(), status: OrderStatus = 'PENDING'): Promise<StuckReason> {
    const waiting = WAITING_ON[status];
    const row = (await this.outbox.rowsFor(orderId)).find((candidate) => candidate.routingKey === waiting.event);
    if (row?.parkedAt) return { kind: 'outbox-parked', lastError: row.lastError, parkedAt: row.parkedAt.toISOString() };
    if (row && !row.publishedAt) return { kind: 'outbox-unpublished', attempts: row.attempts, lastError: row.lastError };
    for (const service of waiting.answeredBy) {
      try {
        const [letter] = await this.peers.deadLettersOf(service, orderId);
        if (letter) return { kind: 'dead-letter', service, deadLetterId: letter.id, reason: letter.reason };
      } catch (err) {
        if (!(err instanceof PeerUnavailableError)) throw err;
        unknown.add(`${err.message}: its dead letters are not known`);
      }
    }
    const [own] = await this.deadLetters.list({ status: 'open', orderId, limit: 1 });
    if (own) return { kind: 'dead-letter', service: 'orders', deadLetterId: own.id, reason: own.reason };
    return {
      kind: 'unknown',
      note: row
        ? `${waiting.event} was published and ${waiting.silence}: look at its timeline`
        : `no ${waiting.event} row is left in the outbox (purged after its retention): look at its timeline`,
    };
  }
}

/**
 * For an order stuck in a status: the event that should move it on and the services that answer it
 * (PENDING: inventory; RESERVED: payment-service; a final status whose undoing or capture is due:
 * both), and what their silence means.
 */
const WAITING_ON: Record<OrderStatus, { event: string; answeredBy: readonly ('inventory' | 'payments')[]; silence: string }> = {
  PENDING: { event: ROUTING_KEYS.orderPlaced, answeredBy: ['inventory'], silence: 'no service holds a dead letter of it' },
  RESERVED: {
    event: ROUTING_KEYS.orderReserved,
    answeredBy: ['payments'],
    silence: 'payment-service has not answered (the provider may not be answering)',
  },
  CONFIRMED: { event: ROUTING_KEYS.orderConfirmed, answeredBy: ['payments'], silence: 'its capture has not come back' },
  REJECTED: { event: ROUTING_KEYS.orderRejected, answeredBy: ['inventory', 'payments'], silence: 'its stock release has not come back' },
  CANCELLED: {
    event: ROUTING_KEYS.orderCancelled,
    answeredBy: ['inventory', 'payments'],
    silence: 'its stock release, void or refund has not come back',
  },
};
