import { env, loadConfig } from '@shop/platform';
import { serviceEnvSchema } from '@shop/service';
import { z } from 'zod';

export const orderServiceEnvSchema = serviceEnvSchema({ port: 3001, metricsPort: 9464, database: 'orders' }).extend({
  /** How long a product's name and price are reused for new orders before being read again (0: read every time). */
  CATALOG_CACHE_MS: z.coerce.number().int('must be a whole number').min(0, 'must be 0 or more').default(5_000),
  /** Open order event streams one client address may hold; past it the client gets 429. */
  SSE_MAX_STREAMS_PER_CLIENT: env.positiveInt(20),
  /** Open order event streams this instance holds in all; past it every client gets 503 with Retry-After. */
  SSE_MAX_STREAMS: env.positiveInt(5_000),
  /** Time between heartbeats on an open stream, so proxies and clients see it alive. */
  SSE_HEARTBEAT_MS: env.positiveInt(20_000),
  /** How long GET /api/system/status waits for each part it asks (the broker, the outbox query) before reporting it unreachable. */
  STATUS_PROBE_TIMEOUT_MS: env.positiveInt(1_000),
});
export type OrderServiceConfig = z.infer<typeof orderServiceEnvSchema>;

export const loadOrderServiceConfig = (env: NodeJS.ProcessEnv = process.env): OrderServiceConfig => loadConfig(orderServiceEnvSchema, env);
