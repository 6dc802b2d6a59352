import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { DataSource } from 'typeorm';
import { HEADERS, Publisher, tracePublish } from '@shop/messaging';
import { singletonMetric } from '@shop/platform';
import { OutboxService } from './outbox.service';
import { DEFAULT_OUTBOX_OPTIONS, OUTBOX_OPTIONS, type OutboxOptions } from './outbox.options';
import { OutboxRepository, type ClaimedRow, type RowFailure } from './outbox.repository';
import { nextRowAttempt, publishVerdicts } from './publish-policy';

/**
 * Claim loops per process: while one waits for the broker's confirms, the other claims the rows
 * committed meanwhile (SKIP LOCKED keeps them apart).
 */
const CLAIM_LOOPS = 2;
/** How often a relay applies retention (OutboxService.purge). */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;
/** How often a relay reads the backlog and the parked rows into its gauges. */
const GAUGE_INTERVAL_MS = 10_000;

const published = singletonMetric(
  'outbox_published_total',
  () => new Counter({ name: 'outbox_published_total', help: 'Outbox messages published and confirmed by the broker' }),
);
const failures = singletonMetric(
  'outbox_publish_failures_total',
  () => new Counter({ name: 'outbox_publish_failures_total', help: 'Outbox publish attempts that failed (row kept)' }),
);
const publishAge = singletonMetric(
  'outbox_publish_age_seconds',
  () =>
    new Histogram({
      name: 'outbox_publish_age_seconds',
      help: 'Time from an outbox row written (its transaction) to its message confirmed by the broker: the time an event spends in the outbox',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    }),
);
const parkedRows = singletonMetric(
  'outbox_parked_rows',
  () => new Gauge({ name: 'outbox_parked_rows', help: 'Outbox rows parked after maxPublishAttempts refusals, waiting for an operator (the whole database)' }),
);
const oldestUnpublished = singletonMetric(
  'outbox_oldest_unpublished_age_seconds',
  () =>
    new Gauge({
      name: 'outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest outbox row not yet published nor parked (the whole database); 0 when none',
    }),
);
/** The relays of this process that run: the gauge below reads their failure streaks when scraped. */
const runningRelays = new Set<OutboxRelay>();
singletonMetric(
  'outbox_relay_failing_seconds',
  () =>
    new Gauge({
      name: 'outbox_relay_failing_seconds',
      help: "How long this process's outbox relay has been unable to publish at all (broker or database down); 0 while it publishes",
      collect() {
        this.set(Math.max(0, ...[...runningRelays].map((relay) => relay.failingForSeconds())));
      },
    }),
);

/** What one batch did; `brokerError`: the relay as a whole could not publish (broker or database), the rows are kept as they were. */
interface BatchOutcome {
  claimed: number;
  published: number;
  brokerError: Error | null;
  /** Publishes of the batch that failed for the broker's sake. */
  brokerFailures: number;
}

/** A run of failed attempts of the whole relay, from the first failure to the next batch published. */
interface FailureStreak {
  since: number;
  attempts: number;
  /** Publishes that failed for the broker's sake (the rows are kept, untouched). */
  publishesFailed: number;
  lastError: string;
  reportedAt: number;
}

/**
 * Publishes committed outbox rows. Each batch is claimed with FOR UPDATE SKIP LOCKED, so several
 * relays (instances) never publish the same row at once; a row is marked published only after the
 * broker confirmed it, so a crash in between publishes it again (consumers drop the duplicate by
 * messageId). It wakes when a write through this process's OutboxService committed and polls for
 * the rest (the wake-up rule is on OutboxService); while the broker is unreachable it backs off and
 * keeps every row, and says so in the log every `failureReportIntervalMs`. Once an hour it applies retention.
 *
 * One row must never hold back the others: a row the broker refuses (unroutable, or nacked while it
 * acks the rest; see publish-policy.ts) waits out its own backoff while the relay goes on, and after
 * `maxPublishAttempts` refusals it is parked with its reason until an operator retries or discards it.
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
  private lastGauges = 0;
  private streak: FailureStreak | null = null;
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
    runningRelays.add(this);
    this.stopWaking = this.outbox.onWake(() => this.onWoken());
    this.loops = Array.from({ length: CLAIM_LOOPS }, () => this.run());
  }

  async onModuleDestroy(): Promise<void> {
    this.running = false;
    runningRelays.delete(this);
    this.stopWaking?.();
    for (const waiter of this.waiting) waiter.wake();
    await Promise.all(this.loops);
  }

  /** Seconds since the relay last could publish, while it cannot at all; 0 while it publishes. */
  failingForSeconds(): number {
    return this.streak ? (Date.now() - this.streak.since) / 1000 : 0;
  }

  /** Publishes one batch; returns how many rows it claimed. Exposed for tests and tools. */
  async relayBatch(): Promise<number> {
    const batch = await this.relayOnce();
    if (batch.brokerError) throw batch.brokerError;
    return batch.claimed;
  }

  /**
   * One batch: rows confirmed are marked published, rows refused are marked failed (or parked), and
   * a failure of the broker itself is returned once the batch is settled, for the loop to back off.
   */
  private relayOnce(): Promise<BatchOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const rows = await this.repository.claim(manager, this.options.batchSize);
      if (rows.length === 0) return { claimed: 0, published: 0, brokerError: null, brokerFailures: 0 };

      const messages = rows.map((row) => ({
        exchange: row.exchange,
        routingKey: row.routing_key,
        messageId: row.message_id ?? row.id,
        type: row.message_type ?? undefined,
        payload: row.payload,
        timestamp: row.created_at,
        correlationId: row.headers[HEADERS.correlationId],
        traceparent: row.headers[HEADERS.traceparent],
        headers: row.headers,
        mandatory: this.options.mustBeRouted(row.routing_key, row.exchange),
      }));
      // Each publish in the trace of the operation that wrote its row (see tracePublish); the message carries its span on.
      const spans = tracePublish(messages.map((message) => ({ ...message, writtenAt: message.timestamp })));
      const results = await Promise.allSettled(
        messages.map((message, index) => this.publisher.publish({ ...message, traceparent: spans.traceparents[index] })),
      );
      spans.end(results);
      const verdicts = publishVerdicts(results);
      const confirmed = rows.filter((_, index) => verdicts[index] === 'published').map((row) => row.id);
      const refused = rows.flatMap((row, index) => (verdicts[index] === 'row' ? [this.rowFailure(row, results[index] as PromiseRejectedResult)] : []));
      const brokerFailed = results.filter((_, index) => verdicts[index] === 'broker') as PromiseRejectedResult[];

      await this.repository.markPublished(manager, confirmed);
      await this.repository.markRefused(manager, refused);
      await this.repository.markFailed(
        manager,
        rows.filter((_, index) => verdicts[index] === 'broker').map((row) => row.id),
        (brokerFailed[0]?.reason as Error | undefined)?.message ?? '',
      );
      published.inc(confirmed.length);
      const confirmedAt = Date.now();
      for (const [index, row] of rows.entries())
        if (verdicts[index] === 'published') publishAge.observe(Math.max(0, confirmedAt - row.created_at.getTime()) / 1000);
      failures.inc(refused.length + brokerFailed.length);
      this.reportRefused(refused);
      return {
        claimed: rows.length,
        published: confirmed.length,
        brokerError: (brokerFailed[0]?.reason as Error | undefined) ?? null,
        brokerFailures: brokerFailed.length,
      };
    });
  }

  /** This row's next attempt, after its own backoff, or its parking. */
  private rowFailure(row: ClaimedRow, result: PromiseRejectedResult): RowFailure {
    const error = (result.reason as Error).message;
    const next = nextRowAttempt(row.refusals + 1, this.options);
    return { id: row.id, error, retryInMs: next.park ? null : next.retryInMs };
  }

  private reportRefused(refused: RowFailure[]): void {
    if (refused.length === 0) return;
    const parked = refused.filter((failure) => failure.retryInMs === null);
    for (const failure of parked) {
      this.logger.warn(
        `outbox row ${failure.id} parked after ${this.options.maxPublishAttempts} refused attempts (${failure.error}); an operator retries or discards it`,
      );
    }
    if (parked.length > 0) this.lastGauges = 0; // the gauge shows them at the next loop
    const waiting = refused.length - parked.length;
    if (waiting > 0)
      this.logger.warn(
        `the broker refused ${waiting} outbox rows (first: ${refused.find((failure) => failure.retryInMs !== null)!.error}); each is retried after its own backoff, the others go on`,
      );
  }

  private async run(): Promise<void> {
    let backoffMs = 0;
    while (this.running) {
      await this.refreshGaugesIfDue();
      this.woken = false; // this claim sees every row committed so far
      // A database that fails the claim or the marks fails the whole relay, as a broker that fails every publish does.
      const batch = await this.relayOnce().catch((err: Error): BatchOutcome => ({ claimed: 0, published: 0, brokerError: err, brokerFailures: 0 }));
      if (batch.brokerError) {
        this.failed(batch.brokerError, batch.brokerFailures);
        backoffMs = Math.min(Math.max(backoffMs * 2, 250), this.options.maxBackoffMs);
        await this.sleep(backoffMs, false);
        continue;
      }
      backoffMs = 0;
      // A batch that found nothing says nothing of the broker (the other loop may hold the rows).
      if (batch.published > 0) this.endStreak();
      if (batch.claimed === this.options.batchSize) continue; // more are waiting
      await this.purgeIfDue();
      await this.sleep(this.options.pollIntervalMs, true);
    }
  }

  /** The relay could not publish: said at the start of a streak, then every `failureReportIntervalMs` while it lasts. */
  private failed(err: Error, publishesFailed: number): void {
    const now = Date.now();
    const streak = this.streak;
    if (!streak) {
      this.streak = { since: now, attempts: 1, publishesFailed, lastError: err.message, reportedAt: now };
      this.logger.warn(`outbox relay cannot publish (${err.message}); rows are kept, retrying with backoff`);
      return;
    }
    streak.attempts++;
    streak.publishesFailed += publishesFailed;
    streak.lastError = err.message;
    if (now - streak.reportedAt < this.options.failureReportIntervalMs) return;
    streak.reportedAt = now;
    this.logger.warn(
      `outbox relay still cannot publish after ${Math.round((now - streak.since) / 1000)} s: ${streak.attempts} attempts and ${streak.publishesFailed} publishes failed (last: ${streak.lastError}); rows are kept`,
    );
  }

  private endStreak(): void {
    const streak = this.streak;
    if (!streak) return;
    this.streak = null;
    this.logger.log(`outbox relay publishing again after ${Math.round((Date.now() - streak.since) / 1000)} s and ${streak.attempts} failed attempts`);
  }

  /** The backlog's age and the parked rows, into their gauges; a database that does not answer leaves them as they were. */
  private async refreshGaugesIfDue(): Promise<void> {
    if (Date.now() - this.lastGauges < GAUGE_INTERVAL_MS) return;
    this.lastGauges = Date.now();
    try {
      const backlog = await this.outbox.backlog();
      parkedRows.set(backlog.parked);
      oldestUnpublished.set(backlog.oldestAgeSeconds ?? 0);
    } catch {
      // The relay's own attempts report the database; the gauges keep their last values.
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
