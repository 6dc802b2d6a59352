import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { OrderStatusEvent } from '@shop/contracts';
import { contextOf } from '@shop/messaging';
import { PgListener } from '@shop/outbox';
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

/** Where one open stream's events go: each state of its order to show, then its end. */
export interface StatusFollower {
  send(event: OrderStatusEvent): void;
  end(): void;
}

/** A follower behind its stream's filter, as the order's changes reach it. */
interface Following {
  push(event: OrderStatusEvent): void;
  end(): void;
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
  /**
   * The streams following each order, so a change reaches its order's streams only. Plain callbacks,
   * a few hundred bytes a stream: an operator chain per stream (RxJS, as Nest's `@Sse` builds) held
   * about 40 KB each, 80 MB for 2,000 open streams.
   */
  private readonly followersByOrder = new Map<string, Set<Following>>();
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
    for (const followers of [...this.followersByOrder.values()]) for (const following of [...followers]) following.end();
    this.followersByOrder.clear();
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
   * Follows an order for one stream: `follower.send` gets its status now, then each change that moves
   * it forward (onlyForward drops repeats and stale reads), and `follower.end` once the order is
   * settled (endsStream), its status cannot be read, or this instance shuts down. Live changes are
   * followed before the status is read, so none falls in between. Returns what stops following when
   * the stream goes away first (idempotent; `end` is not called then).
   */
  follow(orderId: string, follower: StatusFollower): () => void {
    if (this.closed) {
      follower.end();
      return () => undefined;
    }
    const forward = onlyForward();
    let followers = this.followersByOrder.get(orderId);
    if (!followers) {
      followers = new Set();
      this.followersByOrder.set(orderId, followers);
    }
    const followed = followers;
    let following = true;
    const stop = (): void => {
      if (!following) return;
      following = false;
      followed.delete(entry);
      if (followed.size === 0 && this.followersByOrder.get(orderId) === followed) this.followersByOrder.delete(orderId);
    };
    const entry: Following = {
      push: (event) => {
        if (!following || !forward(event)) return;
        follower.send(event);
        if (endsStream(event)) entry.end();
      },
      end: () => {
        if (!following) return;
        stop();
        follower.end();
      },
    };
    followed.add(entry);
    this.orders.findStatuses(this.dataSource.manager, [orderId]).then(
      (orders) => {
        if (orders.length > 0) entry.push(toStatusEvent(orders[0]));
      },
      (err: Error) => {
        // Ended rather than left without its current status: the browser's EventSource connects again.
        if (following) this.logger.warn(`cannot read the status of order ${orderId} for its stream: ${err.message}`);
        entry.end();
      },
    );
    return stop;
  }

  /** Orders some stream follows now (for tests and diagnostics). */
  get followedOrders(): number {
    return this.followersByOrder.size;
  }

  private publish(event: OrderStatusEvent): void {
    const followers = this.followersByOrder.get(event.orderId);
    if (!followers) return;
    // A copy: a follower whose order this event settles leaves the set while it is walked.
    for (const following of [...followers]) following.push(event);
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
