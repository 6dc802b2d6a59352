import { adminTokenEnv, loadConfig } from '@shop/platform';
import { serviceEnvSchema } from '@shop/service';
import { z } from 'zod';

export const inventoryServiceEnvSchema = serviceEnvSchema({ port: 3002, metricsPort: 9465, database: 'inventory' }).extend({
  ...adminTokenEnv,
});
export type InventoryServiceConfig = z.infer<typeof inventoryServiceEnvSchema>;

export const loadInventoryServiceConfig = (env: NodeJS.ProcessEnv = process.env): InventoryServiceConfig => loadConfig(inventoryServiceEnvSchema, env);
