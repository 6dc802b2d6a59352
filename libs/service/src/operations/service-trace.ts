import { Inject, Injectable, Optional } from '@nestjs/common';
import type { OperatedService, ServiceTraceView, TraceEntry } from '@shop/contracts';
import { DeadLetterStore, OutboxService } from '@shop/outbox';
import { OPERATED_SERVICE } from './dead-letter-operations';
import { inTimeOrder, ORDER_TRACE_SOURCE, type OrderTraceSource } from './order-trace';

/**
 * One service's hops of an order, from its own tables: the events it wrote for the order (its outbox
 * rows: written, published after n attempts, parked), the order's dead letters in its queues and what
 * operators did with them, and what the service itself recorded (its OrderTraceSource).
 */
@Injectable()
export class ServiceTrace {
  constructor(
    private readonly outbox: OutboxService,
    private readonly deadLetters: DeadLetterStore,
    @Inject(OPERATED_SERVICE) private readonly service: OperatedService,
    @Optional() @Inject(ORDER_TRACE_SOURCE) private readonly source: OrderTraceSource | null,
  ) {}

  async traceOf(orderId: string): Promise<ServiceTraceView> {
    const entries: TraceEntry[] = [...((await this.source?.traceOf(orderId)) ?? [])];
    for (const row of await this.outbox.rowsFor(orderId)) {
      // A replay is routed by its queue's name: it is named by its type, and where it goes.
      const event = row.messageType ? `${row.messageType} (a replay to ${row.routingKey})` : row.routingKey;
      entries.push({ at: row.createdAt.toISOString(), step: 'outbox-written', detail: `${event} written to the outbox` });
      if (row.publishedAt) {
        const attempts = row.attempts > 1 ? ` after ${row.attempts} attempts` : '';
        entries.push({
          at: row.publishedAt.toISOString(),
          step: 'published',
          detail: `${event} published to ${row.exchange}${attempts}`,
        });
      }
      if (row.parkedAt)
        entries.push({
          at: row.parkedAt.toISOString(),
          step: 'parked',
          detail: `${event} parked after ${row.attempts} attempts: ${row.lastError ?? 'no error kept'}`,
        });
    }
    for (const letter of await this.deadLetters.list({ orderId, limit: 50 })) {
      const replay = letter.replayCount > 0 ? ` (replay ${letter.replayCount})` : '';
      entries.push({
        at: letter.lastFailedAt.toISOString(),
        step: 'dead-lettered',
        detail: `${letter.routingKey} died in ${letter.queue}${replay}: ${letter.reason}`,
      });
      if (letter.resolvedAt) {
        entries.push({
          at: letter.resolvedAt.toISOString(),
          step: letter.status === 'discarded' ? 'discarded' : 'replayed',
          detail: `dead letter ${letter.status} by ${letter.resolvedBy}`,
        });
      }
    }
    return { service: this.service, orderId, entries: inTimeOrder(entries) };
  }
}
