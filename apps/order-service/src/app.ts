import { QUEUES, eventSchemaFor } from '@shop/contracts';
import { connectConsumers } from '@shop/messaging';
import { createHttpApp, type HttpAppOptions } from '@shop/platform';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import type { OrderServiceConfig } from './config';

/** The order service, wired and consuming, not yet listening (main.ts and the tests listen). */
export async function createOrderService(config: OrderServiceConfig, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  const app = await createHttpApp(AppModule.forRoot(config), options);
  connectConsumers(app, { queues: [QUEUES.ordersStockResults], schemaFor: eventSchemaFor });
  await app.startAllMicroservices();
  return app;
}
