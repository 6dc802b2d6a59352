export interface OutboxOptions {
  /** Channel the relay LISTENs on; `enqueue` notifies it, delivered at commit. */
  notifyChannel?: string;
  /** Rows claimed and published per transaction. */
  batchSize?: number;
  /** Polling interval, a safety net for a missed notification. */
  pollIntervalMs?: number;
  /** Longest wait between attempts while the broker is unreachable. */
  maxBackoffMs?: number;
  /** Published rows older than this are deleted (0 keeps them forever). */
  retentionHours?: number;
  /**
   * Batches in flight at once in this process. While one waits for the broker's confirms, another
   * claims the rows committed meanwhile (SKIP LOCKED keeps them apart).
   */
  concurrency?: number;
  /** Run the relay in this process (an app may run it separately). */
  relayEnabled?: boolean;
}

export const OUTBOX_OPTIONS = Symbol('OUTBOX_OPTIONS');

export const DEFAULT_OUTBOX_OPTIONS: Required<OutboxOptions> = {
  notifyChannel: 'outbox',
  batchSize: 200,
  pollIntervalMs: 1_000,
  maxBackoffMs: 5_000,
  retentionHours: 24 * 7,
  concurrency: 2,
  relayEnabled: true,
};
