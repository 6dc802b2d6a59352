import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HttpAppOptions } from '@shop/platform';
import { createServiceApp } from '@shop/service';
import { AppModule } from './app.module';
import type { InventoryServiceConfig } from './config';
import { OrderPlacedConsumer } from './stock/order-placed.consumer';

/** The inventory service, wired and consuming placed orders, not yet listening (main.ts and the tests listen). */
export function createInventoryService(config: InventoryServiceConfig, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  return createServiceApp(AppModule.forRoot(config), [OrderPlacedConsumer.queue], { server: config, ...options });
}
