import './telemetry';
import 'reflect-metadata';
import { listen } from '@shop/platform';
import { runMain } from '@shop/service';
import { createInventoryService } from './app';
import { loadInventoryServiceConfig } from './config';

runMain('inventory-service', async () => {
  const config = loadInventoryServiceConfig();
  const app = await createInventoryService(config, { shutdownHooks: true });
  await listen(app, config.PORT, config.HOST);
});
