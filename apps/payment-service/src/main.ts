import './telemetry';
import 'reflect-metadata';
import { listen } from '@shop/platform';
import { runMain } from '@shop/service';
import { createPaymentService } from './app';
import { loadPaymentServiceConfig } from './config';

runMain('payment-service', async () => {
  const config = loadPaymentServiceConfig();
  const app = await createPaymentService(config, { shutdownHooks: true });
  await listen(app, config.PORT, config.HOST);
});
