import { loadConfig } from '@shop/platform';
import { serviceEnvSchema } from '@shop/service';
import { z } from 'zod';

export const inventoryServiceEnvSchema = serviceEnvSchema({ port: 3002, metricsPort: 9465, database: 'inventory' }).extend({
  /** Bearer token for POST /api/stock/:sku/restock; without it restocking is switched off. */
  ADMIN_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    // What a `Bearer` header can carry (RFC 6750 b64token); any other token could never be presented.
    .regex(/^[A-Za-z0-9\-._~+/]+=*$/, 'may hold only letters, digits and - . _ ~ + / (then = padding)')
    .optional(),
});
export type InventoryServiceConfig = z.infer<typeof inventoryServiceEnvSchema>;

export const loadInventoryServiceConfig = (env: NodeJS.ProcessEnv = process.env): InventoryServiceConfig => loadConfig(inventoryServiceEnvSchema, env);
