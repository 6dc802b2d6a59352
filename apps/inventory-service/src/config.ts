import { loadConfig } from '@shop/platform';
import { serviceEnvSchema } from '@shop/service';
import type { z } from 'zod';

/** Inventory reads only what every service reads (ADMIN_TOKEN guards restocking too). */
export const inventoryServiceEnvSchema = serviceEnvSchema({ port: 3002, metricsPort: 9465, database: 'inventory' });
export type InventoryServiceConfig = z.infer<typeof inventoryServiceEnvSchema>;

export const loadInventoryServiceConfig = (env: NodeJS.ProcessEnv = process.env): InventoryServiceConfig => loadConfig(inventoryServiceEnvSchema, env);
