import 'reflect-metadata';
import { ConfigError, listen } from '@shop/platform';
import { createOrderService } from './app';
import { loadOrderServiceConfig } from './config';

async function main() {
  const config = loadOrderServiceConfig();
  const app = await createOrderService(config, { shutdownHooks: true });
  await listen(app, config.PORT, config.HOST);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `order-service: ${err.message}` : err);
  process.exit(1);
});
