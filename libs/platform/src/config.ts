import { z } from 'zod';

/** A start-up failure that names every variable that is missing or wrong. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the environment once, validates it, and fails with the names of the bad variables. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
  }
  return parsed.data;
}

/** Environment building blocks shared by the services. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  url: (protocols: string[], fallback: string) =>
    z
      .string()
      .default(fallback)
      .refine(
        (value) => {
          try {
            return protocols.includes(new URL(value).protocol);
          } catch {
            return false;
          }
        },
        `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
      ),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  intList: (fallback: number[]) =>
    z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined || value.trim() === '') return fallback;
        const numbers = value.split(',').map((part) => Number(part.trim()));
        if (numbers.some((n) => !Number.isInteger(n) || n <= 0)) {
          ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of positive whole numbers' });
          return z.NEVER;
        }
        return numbers;
      }),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** Variables every service reads: where it listens, its database, the broker and messaging knobs. */
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
    RABBITMQ_URL: env.url(['amqp:', 'amqps:'], 'amqp://guest:guest@127.0.0.1:5672'),
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
    /** A client must send a request's headers within this (else 408 and closed); at most HTTP_REQUEST_TIMEOUT_MS. */
    HTTP_HEADERS_TIMEOUT_MS: env.positiveInt(10_000),
    /** A client must send a whole request, body included, within this (else 408 and closed); a response that streams is not limited. */
    HTTP_REQUEST_TIMEOUT_MS: env.positiveInt(30_000),
    /** An idle keep-alive connection is closed after this; above the 60 s idle timeout of common load balancers, so they close first. */
    HTTP_KEEP_ALIVE_TIMEOUT_MS: env.positiveInt(72_000),
    /** A connection silent both ways for this long is closed (event streams are exempt: they heartbeat). */
    HTTP_IDLE_TIMEOUT_MS: env.positiveInt(60_000),
    /** Proxies believed when X-Forwarded-For names the client: addresses, CIDRs, loopback, uniquelocal (private ranges); "none" for none. */
    HTTP_TRUSTED_PROXIES: z.string().trim().min(1).default('loopback,uniquelocal'),
  });
}
export type ServiceEnv = z.infer<ReturnType<typeof serviceEnvSchema>>;
