import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { HEADERS, Publisher } from '@shop/messaging';
import { singletonMetric } from '@shop/platform';
import { OutboxService } from './outbox.service';
import { PgListener } from './pg-listener';
import { DEFAULT_OUTBOX_OPTIONS, OUTBOX_OPTIONS, type OutboxOptions } from './outbox.options';

interface OutboxRow {
  id: string;
  exchange: string;
  routing_key: string;
  payload: unknown;
  headers: Record<string, string>;
  created_at: Date;
}

const published = singletonMetric(
  'outbox_published_total',
  () => new Counter({ name: 'outbox_published_total', help: 'Outbox messages published and confirmed by the broker' }),
);
const failures = singletonMetric(
  'outbox_publish_failures_total',
  () => new Counter({ name: 'outbox_publish_failures_total', help: 'Outbox publish attempts that failed (row kept)' }),
);

/**
 * Publishes committed outbox rows. Each batch is claimed with FOR UPDATE SKIP LOCKED, so several
 * relays (instances) never publish the same row at once; a row is marked published only after the
 * broker confirmed it, so a crash in between publishes it again (consumers drop the duplicate by
 * messageId). It wakes on the notification `enqueue` sends at commit (or on `OutboxService.committed()`
 * in this process), and polls as a safety net;
 * while the broker is unreachable it backs off and keeps every row.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly options: Required<OutboxOptions>;
  private running = false;
  private loops: Promise<void>[] = [];
  /** Wakers of the loops that wait for work, and of those backing off (woken only to stop). */
  private readonly waiting = new Set<{ wake: () => void; forWork: boolean }>();
  /** A notification arrived that no loop has acted on yet. */
  private notified = false;
  private listener: PgListener | null = null;
  private stopListeningToCommits: (() => void) | null = null;
  private lastCleanup = Date.now();

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: Publisher,
    private readonly outbox: OutboxService,
    @Inject(OUTBOX_OPTIONS) options: OutboxOptions,
  ) {
    this.options = { ...DEFAULT_OUTBOX_OPTIONS, ...options };
  }

  onApplicationBootstrap(): void {
    if (!this.options.relayEnabled) return;
    this.running = true;
    this.listener = new PgListener(this.dataSource, this.options.notifyChannel, () => this.onNotification(), this.options.maxBackoffMs);
    this.listener.start();
    this.stopListeningToCommits = this.outbox.onCommitted(() => this.onNotification());
    this.loops = Array.from({ length: this.options.concurrency }, () => this.run());
  }

  async onModuleDestroy(): Promise<void> {
    this.running = false;
    this.stopListeningToCommits?.();
    for (const waiter of this.waiting) waiter.wake();
    await Promise.all(this.loops);
    this.listener?.stop();
  }

  /** Publishes one batch; returns how many rows it claimed. Exposed for tests and tools. */
  async relayBatch(): Promise<number> {
    const { claimed, error } = await this.dataSource.transaction(async (manager) => {
      const rows: OutboxRow[] = await manager.query(
        `SELECT id, exchange, routing_key, payload, headers, created_at FROM outbox
         WHERE published_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.options.batchSize],
      );
      if (rows.length === 0) return { claimed: 0, error: null };

      const results = await Promise.allSettled(
        rows.map((row) =>
          this.publisher.publish({
            exchange: row.exchange,
            routingKey: row.routing_key,
            messageId: row.id,
            payload: row.payload,
            timestamp: row.created_at,
            correlationId: row.headers[HEADERS.correlationId],
            traceparent: row.headers[HEADERS.traceparent],
          }),
        ),
      );
      const confirmed = rows.filter((_, index) => results[index].status === 'fulfilled').map((row) => row.id);
      const failed = rows.filter((_, index) => results[index].status === 'rejected').map((row) => row.id);
      const firstError = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')?.reason as Error | undefined;

      if (confirmed.length > 0) {
        await manager.query(`UPDATE outbox SET published_at = now(), publish_attempts = publish_attempts + 1, last_error = NULL WHERE id = ANY($1::uuid[])`, [
          confirmed,
        ]);
      }
      if (failed.length > 0) {
        await manager.query(`UPDATE outbox SET publish_attempts = publish_attempts + 1, last_error = $2 WHERE id = ANY($1::uuid[])`, [
          failed,
          firstError?.message ?? 'publish failed',
        ]);
      }
      published.inc(confirmed.length);
      failures.inc(failed.length);
      return { claimed: rows.length, error: firstError ?? null };
    });
    if (error) throw error;
    return claimed;
  }

  private async run(): Promise<void> {
    let backoffMs = 0;
    while (this.running) {
      try {
        this.notified = false; // this claim sees every row committed so far
        const claimed = await this.relayBatch();
        if (backoffMs > 0) this.logger.log('outbox relay publishing again');
        backoffMs = 0;
        if (claimed === this.options.batchSize) continue; // more are waiting
        await this.cleanUpIfDue();
        await this.sleep(this.options.pollIntervalMs, true);
      } catch (err) {
        if (backoffMs === 0) this.logger.warn(`outbox relay cannot publish (${(err as Error).message}); rows are kept, retrying with backoff`);
        backoffMs = Math.min(Math.max(backoffMs * 2, 250), this.options.maxBackoffMs);
        await this.sleep(backoffMs, false);
      }
    }
  }

  /** True while every loop of the relay waits for work: a notification, `OutboxService.committed()` or the next poll. */
  isIdle(): boolean {
    return [...this.waiting].filter((waiter) => waiter.forWork).length === this.options.concurrency;
  }

  /** New rows: one waiting loop claims them (waking them all would send the others to find nothing). */
  private onNotification(): void {
    this.notified = true;
    for (const waiter of this.waiting) {
      if (!waiter.forWork) continue;
      waiter.wake();
      return;
    }
  }

  private sleep(ms: number, forWork: boolean): Promise<void> {
    if (forWork && this.notified) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter = {
        forWork,
        wake: () => {
          clearTimeout(timer);
          this.waiting.delete(waiter);
          resolve();
        },
      };
      // A notification cuts a wait for work short, never a backoff; shutdown cuts either.
      const timer = setTimeout(waiter.wake, ms);
      this.waiting.add(waiter);
    });
  }

  private async cleanUpIfDue(): Promise<void> {
    if (this.options.retentionHours <= 0 || Date.now() - this.lastCleanup < 60 * 60 * 1000) return;
    this.lastCleanup = Date.now();
    await this.dataSource.query(`DELETE FROM outbox WHERE published_at < now() - make_interval(hours => $1)`, [this.options.retentionHours]);
  }
}
