import { env, loadConfig } from '@shop/platform';
import { serviceEnvSchema } from '@shop/service';
import { z } from 'zod';
import { isTraceUrlTemplate } from './operations/trace-link';

export const orderServiceEnvSchema = serviceEnvSchema({ port: 3001, metricsPort: 9464, database: 'orders' }).extend({
  /** How long a product's name and price are reused for new orders before being read again (0: read every time). */
  CATALOG_CACHE_MS: z.coerce.number().int('must be a whole number').min(0, 'must be 0 or more').default(5_000),
  /**
   * Orders stored together in one statement (one transaction, one round trip) when requests arrive
   * while the previous statement is in flight (group commit); a lone request never waits. 1: one
   * statement per order.
   */
  INTAKE_BATCH_MAX: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be 1 (one statement per order) or more')
    .max(1_000, 'must be at most 1000')
    .default(64),
  /** Open order event streams one client address may hold; past it the client gets 429. */
  SSE_MAX_STREAMS_PER_CLIENT: env.positiveInt(20),
  /** Open order event streams this instance holds in all; past it every client gets 503 with Retry-After. */
  SSE_MAX_STREAMS: env.positiveInt(5_000),
  /** Time between heartbeats on an open stream, so proxies and clients see it alive. */
  SSE_HEARTBEAT_MS: env.positiveInt(20_000),
  /** How long GET /api/system/status waits for each part it asks (the broker, the outbox query) before reporting it unreachable. */
  STATUS_PROBE_TIMEOUT_MS: env.positiveInt(1_000),
  /**
   * An order PENDING for longer than this (inventory has not answered), or RESERVED for longer than this
   * (payment has not answered), while inventory consumes and its queue is not backed up, is stuck:
   * operators are shown it, its shopper is told a person will look.
   */
  ORDER_STUCK_AFTER_SECONDS: env.positiveInt(120),
  /** inventory-, notification- and payment-service's HTTP API (their operators' routes: dead letters, an order's hops), asked with ADMIN_TOKEN. */
  INVENTORY_URL: env.url(['http:', 'https:'], 'http://127.0.0.1:3002'),
  NOTIFICATION_URL: env.url(['http:', 'https:'], 'http://127.0.0.1:3003'),
  PAYMENT_URL: env.url(['http:', 'https:'], 'http://127.0.0.1:3004'),
  /**
   * The operators' console links an order's trace id to the tracing backend's UI: an http(s) URL with
   * `{traceId}` where the id goes (Jaeger: http://localhost:16686/trace/{traceId}). Unset or empty:
   * the id is shown without a link.
   */
  TRACE_URL_TEMPLATE: z
    .string()
    .optional()
    .transform((value) => value?.trim() || undefined)
    .refine(
      (value) => value === undefined || isTraceUrlTemplate(value),
      'must be an http:// or https:// URL containing {traceId}, e.g. http://localhost:16686/trace/{traceId}',
    ),
  /**
   * Signs the sign-in links ("email me a link to my orders"); every replica needs the same one. Unset:
   * a random secret per process, so a link works only on the instance that made it, until it restarts.
   */
  SIGN_IN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /**
   * Makes each order's cancel capability (the cancelToken of the 201: an HMAC of the order id); every
   * replica needs the same one, and changing it voids the tokens already given. Unset: a random secret
   * per process, so a token works only on the instance that placed the order, until it restarts.
   */
  CANCEL_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** How long a sign-in link works (it also works only once). */
  SIGN_IN_LINK_TTL_S: env.positiveInt(900),
  /** How long a shopper session (the cookie a link opens) lasts. */
  SESSION_TTL_HOURS: env.positiveInt(168),
  /** `auto`: the cookie is Secure when the request came over https (X-Forwarded-Proto from a trusted proxy); `always`: when TLS ends before any proxy this service trusts. */
  SESSION_COOKIE_SECURE: z.enum(['auto', 'always'], { error: 'must be auto or always' }).default('auto'),
  /** Sign-in link requests one client address may make per window (429 past it). */
  SIGN_IN_LINKS_PER_CLIENT: env.positiveInt(10),
  /** Sign-in link requests for one email address per window, from any client (429 past it). */
  SIGN_IN_LINKS_PER_EMAIL: env.positiveInt(3),
  /** Sign-in attempts (following a link) one client address may make per window. */
  SIGN_INS_PER_CLIENT: env.positiveInt(30),
  /** The window of the three limits above; the counts are kept per replica. */
  SIGN_IN_RATE_WINDOW_S: env.positiveInt(900),
});
export type OrderServiceConfig = z.infer<typeof orderServiceEnvSchema>;

export const loadOrderServiceConfig = (env: NodeJS.ProcessEnv = process.env): OrderServiceConfig => loadConfig(orderServiceEnvSchema, env);
