import { adminTokenEnv, env, httpServerEnv } from '@shop/platform';
import { z } from 'zod';

/** Variables every service of the shop reads: where it listens, its database, the broker, the outbox and the HTTP server. */
export function serviceEnvSchema(defaults: { port: number; database: string; metricsPort?: number }) {
  return z.object({
    PORT: env.port(defaults.port),
    HOST: z.string().min(1).default('127.0.0.1'),
    /** Prometheus scrape endpoint (GET /metrics), on HOST but apart from the API's PORT; 0 picks a free port. */
    METRICS_PORT: env.port(defaults.metricsPort ?? 9464),
    DATABASE_URL: env.url(['postgres:', 'postgresql:'], `postgres://postgres@127.0.0.1:5432/${defaults.database}`),
    DATABASE_POOL_SIZE: env.positiveInt(20),
    /** Opening a database connection, or waiting for a free one in the pool, fails after this. */
    DATABASE_CONNECT_TIMEOUT_MS: env.positiveInt(3_000),
    /** PostgreSQL cancels a statement that runs longer; the service stops waiting for an answer 1 s later (a frozen link). */
    DATABASE_STATEMENT_TIMEOUT_MS: env.positiveInt(5_000),
    /** PostgreSQL ends a session left idle inside a transaction this long; above the broker's publish timeout, which the outbox relay waits for inside one. */
    DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: env.positiveInt(30_000),
    /** TCP keepalive probes start after a database connection is idle this long (a dead peer behind a partition). */
    DATABASE_KEEPALIVE_MS: env.positiveInt(10_000),
    /** One broker URL, or one per node of a cluster, comma-separated: the service connects to one and fails over to the others. */
    RABBITMQ_URL: env.urlList(['amqp:', 'amqps:'], 'amqp://guest:guest@127.0.0.1:5672'),
    /** AMQP heartbeat in seconds: a frozen broker link is noticed after 2 to 3 of them, and the connection recovers. */
    RABBITMQ_HEARTBEAT_S: env.positiveInt(5),
    /** Opening a broker connection (TCP and the AMQP handshake) fails after this, and is retried. */
    RABBITMQ_CONNECT_TIMEOUT_MS: env.positiveInt(5_000),
    /** A publish the broker has not confirmed within this counts as failed: the outbox keeps the row. */
    RABBITMQ_PUBLISH_TIMEOUT_MS: env.positiveInt(10_000),
    LOG_LEVEL: env.logLevel(),
    /** Unacknowledged deliveries a consumer holds at once. */
    CONSUMER_PREFETCH: env.positiveInt(50),
    /** Waits before each delayed retry of a failed message. */
    RETRY_DELAYS_MS: env.intList([1_000, 5_000, 30_000]),
    /** Deliveries before a failing message goes to its dead-letter queue. */
    MAX_ATTEMPTS: env.positiveInt(5),
    OUTBOX_POLL_INTERVAL_MS: env.positiveInt(1_000),
    OUTBOX_BATCH_SIZE: env.positiveInt(200),
    /** Attempts the broker refuses (unroutable, nacked) before an outbox row is parked for an operator. */
    OUTBOX_MAX_PUBLISH_ATTEMPTS: env.positiveInt(10),
    /** Published outbox rows are deleted after this many hours. */
    OUTBOX_RETENTION_HOURS: env.positiveInt(24 * 7),
    /** Processed message ids (the inbox) are kept this many hours: longer than any message can be redelivered. */
    INBOX_RETENTION_HOURS: env.positiveInt(24 * 7),
    ...httpServerEnv,
    /** The operators' token: their routes (dead letters, parked rows, audit, and a service's own admin routes); unset, they answer 403. */
    ...adminTokenEnv,
  });
}
export type ServiceEnv = z.infer<ReturnType<typeof serviceEnvSchema>>;
