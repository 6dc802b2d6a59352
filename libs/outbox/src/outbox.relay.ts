import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { HEADERS, Publisher } from '@shop/messaging';
import { singletonMetric } from '@shop/platform';
import { OutboxService } from './outbox.service';
import { DEFAULT_OUTBOX_OPTIONS, OUTBOX_OPTIONS, type OutboxOptions } from './outbox.options';
import { OutboxRepository } from './outbox.repository';

/**
 * Claim loops per process: while one waits for the broker's confirms, the other claims the rows
 * committed meanwhile (SKIP LOCKED keeps them apart).
 */
const CLAIM_LOOPS = 2;
/** How often a relay applies retention (OutboxService.purge). */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

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
 * messageId). It wakes when a write through this process's OutboxService committed and polls for
 * the rest (the wake-up rule is on OutboxService); while the broker is unreachable it backs off and
 * keeps every row. Once an hour it applies retention.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly options: Required<OutboxOptions>;
  private running = false;
  private loops: Promise<void>[] = [];
  /** Wakers of the loops that wait for work, and of those backing off (woken only to stop). */
  private readonly waiting = new Set<{ wake: () => void; forWork: boolean }>();
  /** A wake came that no loop has acted on yet. */
  private woken = false;
  private stopWaking: (() => void) | null = null;
  private lastPurge = Date.now();
  private readonly repository = new OutboxRepository();

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: Publisher,
    private readonly outbox: OutboxService,
    @Inject(OUTBOX_OPTIONS) options: OutboxOptions,
  ) {
    this.options = { ...DEFAULT_OUTBOX_OPTIONS, ...options };
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.stopWaking = this.outbox.onWake(() => this.onWoken());
    this.loops = Array.from({ length: CLAIM_LOOPS }, () => this.run());
  }

  async onModuleDestroy(): Promise<void> {
    this.running = false;
    this.stopWaking?.();
    for (const waiter of this.waiting) waiter.wake();
    await Promise.all(this.loops);
  }

  /** Publishes one batch; returns how many rows it claimed. Exposed for tests and tools. */
  async relayBatch(): Promise<number> {
    const { claimed, error } = await this.dataSource.transaction(async (manager) => {
      const rows = await this.repository.claim(manager, this.options.batchSize);
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
            mandatory: this.options.mustBeRouted(row.routing_key),
          }),
        ),
      );
      const confirmed = rows.filter((_, index) => results[index].status === 'fulfilled').map((row) => row.id);
      const failed = rows.filter((_, index) => results[index].status === 'rejected').map((row) => row.id);
      const firstError = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')?.reason as Error | undefined;

      await this.repository.markPublished(manager, confirmed);
      await this.repository.markFailed(manager, failed, firstError?.message ?? 'publish failed');
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
        this.woken = false; // this claim sees every row committed so far
        const claimed = await this.relayBatch();
        if (backoffMs > 0) this.logger.log('outbox relay publishing again');
        backoffMs = 0;
        if (claimed === this.options.batchSize) continue; // more are waiting
        await this.purgeIfDue();
        await this.sleep(this.options.pollIntervalMs, true);
      } catch (err) {
        if (backoffMs === 0) this.logger.warn(`outbox relay cannot publish (${(err as Error).message}); rows are kept, retrying with backoff`);
        backoffMs = Math.min(Math.max(backoffMs * 2, 250), this.options.maxBackoffMs);
        await this.sleep(backoffMs, false);
      }
    }
  }

  /** True while every loop of the relay waits for work: a wake from OutboxService or the next poll. */
  isIdle(): boolean {
    return [...this.waiting].filter((waiter) => waiter.forWork).length === CLAIM_LOOPS;
  }

  /** New rows: one waiting loop claims them (waking them all would send the others to find nothing). */
  private onWoken(): void {
    this.woken = true;
    for (const waiter of this.waiting) {
      if (!waiter.forWork) continue;
      waiter.wake();
      return;
    }
  }

  private sleep(ms: number, forWork: boolean): Promise<void> {
    if (forWork && this.woken) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter = {
        forWork,
        wake: () => {
          clearTimeout(timer);
          this.waiting.delete(waiter);
          resolve();
        },
      };
      // A wake cuts a wait for work short, never a backoff; shutdown cuts either.
      const timer = setTimeout(waiter.wake, ms);
      this.waiting.add(waiter);
    });
  }

  private async purgeIfDue(): Promise<void> {
    if (Date.now() - this.lastPurge < PURGE_INTERVAL_MS) return;
    this.lastPurge = Date.now();
    try {
      const purged = await this.outbox.purge();
      this.logger.log(`retention: deleted ${purged.outbox} published outbox rows and ${purged.inbox} inbox rows`);
    } catch (err) {
      // Not a publishing failure: the rows wait for the next purge.
      this.logger.warn(`outbox retention failed (${(err as Error).message}); trying again in an hour`);
    }
  }
}
