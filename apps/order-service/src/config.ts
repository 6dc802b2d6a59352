import { loadConfig, serviceEnvSchema } from '@shop/platform';
import { z } from 'zod';

export const orderServiceEnvSchema = serviceEnvSchema({ port: 3001, metricsPort: 9464, database: 'orders' }).extend({
  /** How long a product's name and price are reused for new orders before being read again (0: read every time). */
  CATALOG_CACHE_MS: z.coerce.number().int('must be a whole number').min(0, 'must be 0 or more').default(5_000),
});
export type OrderServiceConfig = z.infer<typeof orderServiceEnvSchema>;

export const loadOrderServiceConfig = (env: NodeJS.ProcessEnv = process.env): OrderServiceConfig => loadConfig(orderServiceEnvSchema, env);
