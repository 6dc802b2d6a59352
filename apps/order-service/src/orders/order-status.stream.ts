import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { OrderStatusEvent } from '@shop/contracts';
import { contextOf } from '@shop/messaging';
import { PgListener } from '@shop/outbox';
import { filter, from, map, merge, Observable, Subject, takeWhile } from 'rxjs';
import { DataSource } from 'typeorm';
import { admitStream, endsStream, onlyForward, type StreamAdmission } from './order-stream-rules';
import { toStatusEvent, type OrderStatusNotification } from './order.view';
import { ORDER_STATUS_CHANNEL, OrdersRepository } from './orders.repository';

export const ORDER_STREAM_SETTINGS = Symbol('ORDER_STREAM_SETTINGS');

export interface OrderStreamSettings {
  /** Open streams one client address may hold (SSE_MAX_STREAMS_PER_CLIENT). */
  maxPerClient: number;
  /** Open streams this instance holds in all (SSE_MAX_STREAMS). */
  maxTotal: number;
  /** Time between heartbeats on an open stream (SSE_HEARTBEAT_MS). */
  heartbeatMs: number;
}

const tracer = trace.getTracer('@shop/order-service');

/** A place held by one open stream; `release` is idempotent, so every way a stream ends may call it. */
export interface StreamSlot {
  release(): void;
}

/**
 * Status changes of all orders, as committed, and the open streams that follow them. Changes arrive
 * through PostgreSQL notifications, so a browser connected to any order-service instance sees a
 * change applied by any other. Notifications sent while the LISTEN connection was down are lost, so
 * each time it listens again the status of every followed order is read and pushed like a change.
 */
@Injectable()
export class OrderStatusStream implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(OrderStatusStream.name);
  /** One subject per order an open stream follows, so a change reaches its order's streams only, not a filter per open stream. */
  private readonly changesByOrder = new Map<string, Subject<OrderStatusEvent>>();
  private closed = false;
  private readonly listener: PgListener;
  private readonly streamsByOrder = new Map<string, number>();
  private readonly streamsByClient = new Map<string, number>();
  private openStreams = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly orders: OrdersRepository,
    @Inject(ORDER_STREAM_SETTINGS) private readonly settings: OrderStreamSettings,
  ) {
    this.listener = new PgListener(
      dataSource,
      ORDER_STATUS_CHANNEL,
      (payload) => this.pushChange(payload),
      undefined,
      () => void this.reReadFollowedOrders(),
    );
  }

  onModuleInit(): void {
    this.listener.start();
  }

  onModuleDestroy(): void {
    this.listener.stop();
    this.closed = true;
    for (const changes of this.changesByOrder.values()) changes.complete();
    this.changesByOrder.clear();
  }

  /** Takes a place for a stream of `orderId` opened by `client`, unless a cap says no. */
  open(orderId: string, client: string): StreamSlot | Exclude<StreamAdmission, 'admitted'> {
    const admission = admitStream({ ofClient: this.streamsByClient.get(client) ?? 0, total: this.openStreams }, this.settings);
    if (admission !== 'admitted') return admission;
    count(this.streamsByOrder, orderId, +1);
    count(this.streamsByClient, client, +1);
    this.openStreams++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        count(this.streamsByOrder, orderId, -1);
        count(this.streamsByClient, client, -1);
        this.openStreams--;
      },
    };
  }

  /**
   * The order's status now, then each change (status, payment, stock given back), ending once the
   * order is settled (endsStream). Live changes are subscribed
   * before the current status is read, so none falls in between.
   */
  statusesOf(orderId: string): Observable<OrderStatusEvent> {
    const current = from(this.orders.findStatuses(this.dataSource.manager, [orderId])).pipe(
      filter((orders) => orders.length > 0),
      map((orders) => toStatusEvent(orders[0])),
    );
    return merge(this.changesOf(orderId), current).pipe(
      filter(onlyForward()),
      takeWhile((event) => !endsStream(event), true),
    );
  }

  /** The order's changes from now on; its subject lives while someone follows the order. */
  changesOf(orderId: string): Observable<OrderStatusEvent> {
    return new Observable<OrderStatusEvent>((subscriber) => {
      if (this.closed) return subscriber.complete();
      let changes = this.changesByOrder.get(orderId);
      if (!changes) {
        changes = new Subject<OrderStatusEvent>();
        this.changesByOrder.set(orderId, changes);
      }
      const subscription = changes.subscribe(subscriber);
      const followed = changes;
      return () => {
        subscription.unsubscribe();
        if (!followed.observed && this.changesByOrder.get(orderId) === followed) this.changesByOrder.delete(orderId);
      };
    });
  }

  /** Orders with a subject now: those some subscriber follows (for tests and diagnostics). */
  get followedOrders(): number {
    return this.changesByOrder.size;
  }

  private publish(event: OrderStatusEvent): void {
    this.changesByOrder.get(event.orderId)?.next(event);
  }

  /**
   * Pushes a notified change to the streams of its order open here, as a span `sse push` in the
   * order's trace: its parent is the context the notification carries (the answer that made the
   * change, on whichever instance), not this listener's. Kind PRODUCER: the push sends a one-way
   * message to a remote receiver (the browser), which answers nothing and carries no trace on, so
   * no consumer span follows it; INTERNAL would say nothing leaves the process. No span where no
   * stream follows the order: every instance hears every change. A notification without a
   * traceparent (from an instance that predates it) is pushed all the same, under a trace of its own.
   */
  private pushChange(payload: string): void {
    let notified: OrderStatusNotification;
    let event: OrderStatusEvent;
    try {
      notified = JSON.parse(payload) as OrderStatusNotification;
      event = toStatusEvent(notified);
    } catch (err) {
      this.logger.warn(`ignored a notification on "${ORDER_STATUS_CHANNEL}" that is not an order's status (${(err as Error).message})`);
      return;
    }
    const streams = this.streamsByOrder.get(event.orderId) ?? 0;
    if (streams === 0) {
      this.publish(event);
      return;
    }
    const parent = contextOf(typeof notified.traceparent === 'string' ? notified.traceparent : undefined);
    const span = tracer.startSpan(
      'sse push',
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'shop.order.id': event.orderId,
          'shop.order.status': event.status,
          ...(event.payment ? { 'shop.order.payment_status': event.payment.status } : {}),
          'shop.sse.stream_count': streams,
        },
      },
      parent,
    );
    try {
      context.with(trace.setSpan(parent, span), () => this.publish(event));
    } finally {
      span.end();
    }
  }

  /** Pushes the current status of every order an open stream follows (streams drop what they already sent). */
  private async reReadFollowedOrders(): Promise<void> {
    const followed = [...this.streamsByOrder.keys()];
    if (followed.length === 0) return;
    try {
      for (const order of await this.orders.findStatuses(this.dataSource.manager, followed)) this.publish(toStatusEvent(order));
    } catch (err) {
      // The next reconnect reads again; until then the streams stay open and heartbeating.
      this.logger.warn(`cannot re-read ${followed.length} followed orders after LISTEN reconnected: ${(err as Error).message}`);
    }
  }
}

function count(counts: Map<string, number>, key: string, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
