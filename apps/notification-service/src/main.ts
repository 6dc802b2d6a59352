import './telemetry';
import 'reflect-metadata';
import { listen } from '@shop/platform';
import { runMain } from '@shop/service';
import { createNotificationService } from './app';
import { loadNotificationServiceConfig } from './config';

runMain('notification-service', async () => {
  const config = loadNotificationServiceConfig();
  const app = await createNotificationService(config, { shutdownHooks: true });
  await listen(app, config.PORT, config.HOST);
});
