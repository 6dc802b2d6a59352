import { Injectable, NotFoundException } from '@nestjs/common';
import type { OperatedService, OrderTimelineView, TimelineEntry, TraceEntry } from '@shop/contracts';
import { ServiceTrace } from '@shop/service';
import { DataSource } from 'typeorm';
import { OrdersRepository } from '../orders/orders.repository';
import { PeerOperationsClient, PeerUnavailableError } from './peer-operations.client';

/** The services order-service asks for their hops of an order. */
const PEERS: OperatedService[] = ['inventory', 'payments', 'notifications'];

/**
 * An order's journey from the services' own tables, oldest hop first, with the time between hops:
 * order-service's own hops, and those inventory, payment-service and notification-service report. A service that
 * does not answer is named, and its hops are missing; the rest still shows.
 */
@Injectable()
export class OrderTimelineService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrdersRepository,
    private readonly trace: ServiceTrace,
    private readonly peers: PeerOperationsClient,
  ) {}

  async timelineOf(orderId: string): Promise<OrderTimelineView> {
    const order = await this.orders.findById(this.dataSource.manager, orderId);
    if (!order) throw new NotFoundException(`no order ${orderId}`);
    const unknown: string[] = [];
    const traces = await Promise.all([
      this.trace.traceOf(orderId),
      ...PEERS.map((service) =>
        this.peers.traceOf(service, orderId).catch((err: unknown) => {
          if (!(err instanceof PeerUnavailableError)) throw err;
          unknown.push(`${err.message}: its hops are not shown`);
          return { service, orderId, entries: [] as TraceEntry[] };
        }),
      ),
    ]);
    const entries = traces
      .flatMap((trace) => trace.entries.map((entry) => ({ ...entry, service: trace.service })))
      .sort((a, b) => a.at.localeCompare(b.at) || STEP_ORDER.indexOf(a.step) - STEP_ORDER.indexOf(b.step));
    return { orderId, status: order.status, entries: withTimeBetween(entries), unknown };
  }
}

/** Where hops recorded at the same instant go: the order a message takes. */
const STEP_ORDER = [
  'accepted',
  'cancelled',
  'outbox-written',
  'published',
  'dead-lettered',
  'discarded',
  'replayed',
  'parked',
  'decided',
  'applied',
  'email-sent',
];

function withTimeBetween(entries: Omit<TimelineEntry, 'sincePreviousSeconds'>[]): TimelineEntry[] {
  return entries.map((entry, index) => ({
    ...entry,
    sincePreviousSeconds: index === 0 ? null : Math.round((Date.parse(entry.at) - Date.parse(entries[index - 1].at)) / 100) / 10,
  }));
}
