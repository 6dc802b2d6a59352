import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AmqpConnection, DeadLetterQueueConsumer, MESSAGING_OPTIONS, type DeadLetterMessage, type MessagingOptions } from '@shop/messaging';
import { singletonMetric } from '@shop/platform';
import { Counter, Gauge } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { DEFAULT_OUTBOX_OPTIONS, OUTBOX_OPTIONS, PURGE_BATCH_SIZE, type OutboxOptions } from '../outbox.options';
import { DeadLettersRepository, type DeadLetter, type DeadLetterGroup, type DeadLetterStatus } from './dead-letters.repository';

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

const taken = singletonMetric(
  'dead_letters_taken_total',
  () => new Counter({ name: 'dead_letters_taken_total', help: 'Dead letters taken from the dead-letter queues into the database', labelNames: ['queue'] }),
);

/**
 * The dead letters of this service's own queues, kept in its database: taken from each `<queue>.dlq`
 * (commit, then ack: a crash in between leaves the message in the queue, and its second copy is
 * recognised by its message id), grouped by fingerprint, resolved by an operator (replayed or
 * discarded), and purged once resolved and older than the retention. An open one is never deleted.
 */
@Injectable()
export class DeadLetterStore implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeadLetterStore.name);
  private readonly repository = new DeadLettersRepository();
  private readonly consumer: DeadLetterQueueConsumer;
  private readonly retentionHours: number;
  private purgeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dataSource: DataSource,
    connection: AmqpConnection,
    @Inject(MESSAGING_OPTIONS) messaging: MessagingOptions,
    @Inject(OUTBOX_OPTIONS) outbox: OutboxOptions,
  ) {
    // Resolved dead letters are kept as long as the inbox remembers the messages they replayed.
    this.retentionHours = outbox.inboxRetentionHours ?? DEFAULT_OUTBOX_OPTIONS.inboxRetentionHours;
    const queues = messaging.topology.queues.map((queue) => queue.name);
    this.consumer = new DeadLetterQueueConsumer(connection, queues, (message) => this.keep(message));
    const repository = this.repository;
    const source = this.dataSource;
    // Every replica reports the same figures from the one database: alert on max(), not sum().
    singletonMetric(
      'dead_letters_open',
      () =>
        new Gauge({
          name: 'dead_letters_open',
          help: 'Dead letters kept and not yet replayed or discarded, by queue',
          labelNames: ['queue'],
          async collect() {
            this.reset();
            for (const queue of queues) this.set({ queue }, 0);
            for (const row of await repository.openByQueue(source.manager).catch(() => [])) this.set({ queue: row.queue }, row.count);
          },
        }),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
    this.purgeTimer = setInterval(() => {
      this.purgeResolved(this.retentionHours, PURGE_BATCH_SIZE).then(
        (purged) => purged > 0 && this.logger.log(`retention: deleted ${purged} resolved dead letters`),
        (err: Error) => this.logger.warn(`dead-letter retention failed (${err.message}); trying again in an hour`),
      );
    }, PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    await this.consumer.stop();
  }

  /** Keeps one dead letter (a copy already kept is recognised and dropped); resolves once committed. */
  async keep(message: DeadLetterMessage): Promise<void> {
    const fresh = await this.repository.insert(this.dataSource.manager, message);
    if (!fresh) return;
    taken.inc({ queue: message.queue });
    this.logger.warn(`kept dead letter ${message.messageId} of ${message.queue} (${message.errorClass}): ${message.reason}`);
  }

  groups(): Promise<DeadLetterGroup[]> {
    return this.repository.groups(this.dataSource.manager);
  }

  list(filter: { status?: DeadLetterStatus; fingerprint?: string; orderId?: string; limit?: number } = {}): Promise<DeadLetter[]> {
    return this.repository.list(this.dataSource.manager, { ...filter, limit: filter.limit ?? 100 });
  }

  find(id: string): Promise<DeadLetter | null> {
    return this.repository.find(this.dataSource.manager, id);
  }

  /**
   * Runs `act` on an open dead letter, locked in one transaction with what `act` writes, then marks
   * it `status`; null when it is not open (already resolved by someone else, or no such id).
   */
  async resolve<T>(
    id: string,
    status: Exclude<DeadLetterStatus, 'open'>,
    by: string,
    act: (manager: EntityManager, letter: DeadLetter) => Promise<T>,
  ): Promise<{ letter: DeadLetter; result: T } | null> {
    return this.dataSource.transaction(async (manager) => {
      const letter = await this.repository.lockOpen(manager, id);
      if (!letter) return null;
      const result = await act(manager, letter);
      await this.repository.resolve(manager, id, status, by);
      return { letter, result };
    });
  }

  setSentMessageId(manager: EntityManager, id: string, messageId: string | null): Promise<void> {
    return this.repository.setSentMessageId(manager, id, messageId);
  }

  replayTrace(letter: DeadLetter): Promise<{ processedAt: Date | null; failedAgainAs: string | null }> {
    return this.repository.replayTrace(this.dataSource.manager, letter.id);
  }

  failedAgainSince(firstFailures: string[], since: Date): Promise<number> {
    return this.repository.failedAgainSince(this.dataSource.manager, firstFailures, since);
  }

  /** Retention: resolved dead letters older than `hours`, in batches of `batchSize`. */
  async purgeResolved(hours: number, batchSize: number): Promise<number> {
    let total = 0;
    for (let deleted = batchSize; deleted === batchSize; total += deleted) {
      deleted = await this.repository.purgeResolved(this.dataSource.manager, hours, batchSize);
    }
    return total;
  }
}
