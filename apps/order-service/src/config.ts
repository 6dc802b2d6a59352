import { loadConfig, serviceEnvSchema } from '@shop/platform';
import type { z } from 'zod';

export const orderServiceEnvSchema = serviceEnvSchema({ port: 3001, database: 'orders' });
export type OrderServiceConfig = z.infer<typeof orderServiceEnvSchema>;

export const loadOrderServiceConfig = (env: NodeJS.ProcessEnv = process.env): OrderServiceConfig => loadConfig(orderServiceEnvSchema, env);
