import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HttpAppOptions } from '@shop/platform';
import { createServiceApp } from '@shop/service';
import { AppModule } from './app.module';
import type { InventoryServiceConfig } from './config';

/** The inventory service, wired and consuming placed orders and their releases, not yet listening (main.ts and the tests listen). */
export function createInventoryService(config: InventoryServiceConfig, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  return createServiceApp(AppModule.forRoot(config), 'inventory-service', { server: config, ...options });
}
