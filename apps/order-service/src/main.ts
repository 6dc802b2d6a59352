import './telemetry';
import 'reflect-metadata';
import { listen } from '@shop/platform';
import { runMain } from '@shop/service';
import { createOrderService } from './app';
import { loadOrderServiceConfig } from './config';

runMain('order-service', async () => {
  const config = loadOrderServiceConfig();
  const app = await createOrderService(config, { shutdownHooks: true });
  await listen(app, config.PORT, config.HOST);
});
