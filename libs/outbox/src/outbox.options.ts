export interface OutboxOptions {
  /** Rows claimed and published per transaction. */
  batchSize?: number;
  /** Polling interval: how a relay finds rows another process wrote (see OutboxService: the one wake-up rule). */
  pollIntervalMs?: number;
  /** Longest wait between attempts while the broker is unreachable. */
  maxBackoffMs?: number;
  /** Attempts the broker refuses (unroutable, nacked) before a row is parked: kept, never claimed again until an operator retries it. */
  maxPublishAttempts?: number;
  /** A refused row waits this long before its next attempt, doubling each time up to `rowBackoffMaxMs`; the rows behind it go on meanwhile. */
  rowBackoffInitialMs?: number;
  rowBackoffMaxMs?: number;
  /** While the relay cannot publish at all, it says so in the log this often, with counts. */
  failureReportIntervalMs?: number;
  /** Published outbox rows older than this are deleted. */
  outboxRetentionHours?: number;
  /** Inbox rows older than this are deleted: keep it longer than any message can be redelivered. */
  inboxRetentionHours?: number;
  /**
   * Whether some queue must receive this routing key: then a publish the broker cannot route fails
   * and the row is kept (a missing binding is a fault). False for an event nobody subscribes to yet,
   * which the broker drops. True for every key by default.
   */
  mustBeRouted?: (routingKey: string, exchange: string) => boolean;
}

export const OUTBOX_OPTIONS = Symbol('OUTBOX_OPTIONS');

export const DEFAULT_OUTBOX_OPTIONS: Required<OutboxOptions> = {
  batchSize: 200,
  pollIntervalMs: 1_000,
  maxBackoffMs: 5_000,
  maxPublishAttempts: 10,
  rowBackoffInitialMs: 1_000,
  rowBackoffMaxMs: 60_000,
  failureReportIntervalMs: 30_000,
  outboxRetentionHours: 24 * 7,
  inboxRetentionHours: 24 * 7,
  mustBeRouted: () => true,
};

/** Rows one purge statement deletes at most, so it stays far inside any statement timeout. */
export const PURGE_BATCH_SIZE = 5_000;
