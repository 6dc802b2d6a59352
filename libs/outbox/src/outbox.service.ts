import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { childTraceparent, HEADERS } from '@shop/messaging';
import { OUTBOX_OPTIONS, type OutboxOptions, DEFAULT_OUTBOX_OPTIONS } from './outbox.options';

export interface OutboxEvent {
  exchange: string;
  routingKey: string;
  payload: unknown;
  /** Ties the message to the business operation, e.g. the order id. */
  correlationId?: string;
  /** Trace context of the operation that produced the event (a new trace when absent). */
  traceparent?: string;
}

/** Writes events into the outbox inside the caller's transaction: they exist if and only if it commits. */
@Injectable()
export class OutboxService {
  private readonly notifyChannel: string;

  constructor(@Inject(OUTBOX_OPTIONS) options: OutboxOptions) {
    this.notifyChannel = options.notifyChannel ?? DEFAULT_OUTBOX_OPTIONS.notifyChannel;
  }

  /** Returns the message id. The notification wakes the relay when the transaction commits. */
  async enqueue(manager: EntityManager, event: OutboxEvent): Promise<string> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('OutboxService.enqueue must run inside the transaction of the change it announces');
    }
    const id = randomUUID();
    const headers: Record<string, string> = { [HEADERS.traceparent]: childTraceparent(event.traceparent) };
    if (event.correlationId) headers[HEADERS.correlationId] = event.correlationId;
    await manager.query(
      `WITH queued AS (
         INSERT INTO outbox (id, exchange, routing_key, payload, headers) VALUES ($1, $2, $3, $4, $5)
       )
       SELECT pg_notify($6, '')`,
      [id, event.exchange, event.routingKey, JSON.stringify(event.payload), JSON.stringify(headers), this.notifyChannel],
    );
    return id;
  }
}
