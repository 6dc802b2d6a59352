import type { Topology } from './topology';

export interface MessagingOptions {
  /**
   * amqp://user:pass@host:port/vhost, one per node of the cluster (or just one). The service
   * connects to one of them and, losing it, to the next.
   */
  urls: readonly string[];
  /** Shown in the broker's connection list and in logs, e.g. "order-service". */
  connectionName: string;
  /** Declared idempotently on every (re)connect, so no message is published to a missing queue. */
  topology: Topology;
  /** Unacknowledged deliveries per consumer channel. */
  prefetch?: number;
  /** Reconnect backoff after a broker restart or network cut: doubles from initialDelayMs (250) up to maxDelayMs (5000) while no node answers. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /**
   * Seconds between heartbeats (the lower of this and the broker's offer is used). amqplib closes
   * the connection after two intervals without a frame from the broker, so a frozen link is noticed
   * 2 to 3 intervals after it froze and the connection recovers; 0 turns heartbeats off. Default 5.
   */
  heartbeatSeconds?: number;
  /** How long opening a connection (TCP connect and the AMQP handshake) may take before the attempt fails and is retried. Default 5000. */
  connectTimeoutMs?: number;
  /**
   * How long a publish waits for the broker's confirm before it counts as failed; the connection is
   * then given up on and the next node tried, unless the broker said it blocks publishing. A
   * connection whose broker nacks every publish for this long is given up on the same way. Default 10000.
   */
  publishTimeoutMs?: number;
  /** How long declaring the topology and subscribing may take on a fresh connection before the attempt fails and the next node is tried. Default 15000. */
  setupTimeoutMs?: number;
  /**
   * How often each consumer checks that it is not stalled: a consumer that holds no delivery and
   * received none since the last check while its queue has messages ready, twice running, gives
   * its connection up (the next node is tried, and it subscribes there). Default 10000; 0 turns it off.
   */
  consumerStallCheckMs?: number;
  /** How long shutdown waits for in-flight handlers. */
  shutdownTimeoutMs?: number;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
