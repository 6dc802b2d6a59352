import type { Topology } from '@shop/contracts';

export interface MessagingOptions {
  /** amqp://user:pass@host:port/vhost */
  url: string;
  /** Shown in the broker's connection list and in logs, e.g. "order-service". */
  connectionName: string;
  /** Declared idempotently on every (re)connect, so no message is published to a missing queue. */
  topology: Topology;
  /** Unacknowledged deliveries per consumer channel. */
  prefetch?: number;
  /** Reconnect backoff after a broker restart or network cut. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How long a publish waits for the broker's confirm before it counts as failed. */
  publishTimeoutMs?: number;
  /** How long shutdown waits for in-flight handlers. */
  shutdownTimeoutMs?: number;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
