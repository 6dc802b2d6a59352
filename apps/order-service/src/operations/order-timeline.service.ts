import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ROUTING_KEYS, type OperatedService, type OrderTimelineView, type TimelineEntry, type TraceEntry } from '@shop/contracts';
import { OutboxService } from '@shop/outbox';
import { ServiceTrace } from '@shop/service';
import { DataSource } from 'typeorm';
import { OrdersRepository } from '../orders/orders.repository';
import { PeerOperationsClient, PeerUnavailableError } from './peer-operations.client';
import { TRACE_URL_TEMPLATE, traceIdOf, traceUrl } from './trace-link';

/** The services order-service asks for their hops of an order. */
const PEERS: OperatedService[] = ['inventory', 'payments', 'notifications'];

/**
 * An order's journey from the services' own tables, oldest hop first, with the time between hops:
 * order-service's own hops, and those inventory, payment-service and notification-service report. A service that
 * does not answer is named, and its hops are missing; the rest still shows. With them, the order's
 * trace id (that of its order.placed outbox row, written by the POST) and, when TRACE_URL_TEMPLATE is
 * set, the link to the trace in the tracing backend.
 */
@Injectable()
export class OrderTimelineService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrdersRepository,
    private readonly trace: ServiceTrace,
    private readonly peers: PeerOperationsClient,
    private readonly outbox: OutboxService,
    @Inject(TRACE_URL_TEMPLATE) private readonly traceUrlTemplate: string | null,
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
    const traceId = await this.traceIdOf(orderId);
    return {
      orderId,
      status: order.status,
      entries: withTimeBetween(entries),
      unknown,
      traceId,
      traceUrl: traceId && this.traceUrlTemplate ? traceUrl(this.traceUrlTemplate, traceId) : null,
    };
  }

  /**
   * The trace of the order's order.placed row (the first, should there be more): the POST's, with
   * tracing exported or not, since every row carries a traceparent. A replay of it is routed by its
   * queue's name and is not that row. Null once the row is past OUTBOX_RETENTION_HOURS.
   */
  private async traceIdOf(orderId: string): Promise<string | null> {
    const placed = (await this.outbox.rowsFor(orderId)).find((row) => row.routingKey === ROUTING_KEYS.orderPlaced);
    return traceIdOf(placed?.traceparent);
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
