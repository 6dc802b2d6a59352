import type { Logger } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import { Histogram, register } from 'prom-client';
import type { QueueSpec } from './topology';
import type { ConsumeMessage } from 'amqplib';
import type { Delivery } from './batch-event-pattern';
import { errorMessage, settlementFor, type HandlingOutcome } from './failure-policy';
import { decodeMessage, retryCountersOf, type DecodeRules } from './message-decoder';
import type { Settler } from './settlement';
import { traceProcess } from './tracing';

/** One per process (prom-client's registry refuses a second metric of a name). */
const queueTime = (() => {
  const name = 'message_queue_seconds';
  const existing = register.getSingleMetric(name);
  return (
    (existing as Histogram<'queue'> | undefined) ??
    new Histogram({
      name,
      help: 'Time from a message sent by its publisher to its delivery to a handler here: the time it waited in the queue (retries included)',
      labelNames: ['queue'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    })
  );
})();

interface Pending {
  message: ConsumeMessage;
  delivery: Delivery;
}

export interface BatchDispatcherOptions extends DecodeRules {
  queue: QueueSpec;
  /** Most deliveries handed to one handler call. */
  maxBatch: number;
  /** Batches of one message type handled at once (1: one after the other). */
  concurrentBatches?: number;
  /** Runs the handler of `type`; resolves when it committed. */
  handle: (type: string, deliveries: Delivery[]) => Promise<void>;
  isTransient: (err: unknown) => boolean;
  settler: Settler;
  /** Registers work that shutdown waits for. */
  track: (work: Promise<void>) => void;
  isClosing: () => boolean;
  logger: Logger;
}

/**
 * Gathers the deliveries of one consumer channel per message type and hands them to their handler
 * in batches, at most one batch per type at a time; settles each message by the failure policy.
 */
export class BatchDispatcher {
  private readonly waiting = new Map<string, Pending[]>();
  /** Batches running, per message type. */
  private readonly running = new Map<string, number>();
  private scheduled = false;
  private closed = false;
  /** Settlements under way (each message is settled once, after its handler or at once when it cannot be decoded). */
  private settling = 0;

  constructor(private readonly options: BatchDispatcherOptions) {}

  receive(message: ConsumeMessage): void {
    const decoded = decodeMessage(message, this.options.queue.name, this.options);
    if (!decoded.ok) return this.options.track(this.settle(message, { kind: 'undecodable', reason: decoded.reason }));

    const { delivery } = decoded;
    if (delivery.sentAt) queueTime.observe({ queue: delivery.queue }, Math.max(0, Date.now() - delivery.sentAt) / 1000);
    const waiting = this.waiting.get(delivery.type) ?? [];
    waiting.push({ message, delivery });
    this.waiting.set(delivery.type, waiting);
    // Deliveries parsed from one socket read arrive in the same tick: gather them before starting.
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.startBatches();
      });
    }
  }

  /** Holds no delivery: none waiting, no batch running, nothing being settled. */
  isIdle(): boolean {
    return !this.scheduled && this.running.size === 0 && this.settling === 0 && [...this.waiting.values()].every((waiting) => waiting.length === 0);
  }

  /** The channel closed: the broker requeues the deliveries still waiting, so forget them. */
  close(): void {
    this.closed = true;
    this.waiting.clear();
  }

  /** Starts batches for each type that has deliveries waiting, up to `concurrentBatches` running per type. */
  private startBatches(): void {
    const limit = this.options.concurrentBatches ?? 1;
    for (const [type, waiting] of this.waiting) {
      while (!this.options.isClosing() && !this.closed && waiting.length > 0 && (this.running.get(type) ?? 0) < limit) {
        const batch = waiting.splice(0, this.options.maxBatch);
        this.running.set(type, (this.running.get(type) ?? 0) + 1);
        this.options.track(
          this.handleBatch(type, batch).finally(() => {
            const left = (this.running.get(type) ?? 1) - 1;
            if (left === 0) this.running.delete(type);
            else this.running.set(type, left);
            this.startBatches();
          }),
        );
      }
    }
  }

  private async handleBatch(type: string, batch: Pending[]): Promise<void> {
    let outcome: HandlingOutcome = { kind: 'committed' };
    const spans = traceProcess(batch.map((pending) => pending.delivery));
    try {
      const deliveries = batch.map((pending, index) => ({ ...pending.delivery, traceparent: spans.traceparents[index] }));
      await context.with(spans.context, () => this.options.handle(type, deliveries));
      spans.end();
    } catch (error) {
      spans.end(error);
      outcome = { kind: 'failed', error, transient: this.options.isTransient(error) };
      if (batch.length > 1 && !outcome.transient) {
        // Which message failed is unknown: handle each alone, so only the bad one is retried.
        this.options.logger.warn(`a batch of ${batch.length} from ${this.options.queue.name} failed (${errorMessage(error)}); handling each message alone`);
        for (const pending of batch) await this.handleBatch(type, [pending]);
        return;
      }
    }
    await Promise.all(batch.map(({ message }) => this.settle(message, outcome)));
  }

  private async settle(message: ConsumeMessage, outcome: HandlingOutcome): Promise<void> {
    this.settling++;
    try {
      await this.options.settler.settle(message, settlementFor(outcome, retryCountersOf(message), this.options.queue));
    } finally {
      this.settling--;
    }
  }
}
