import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HttpAppOptions } from '@shop/platform';
import { createServiceApp } from '@shop/service';
import { AppModule } from './app.module';
import type { OrderServiceConfig } from './config';
import { StockResultsConsumer } from './orders/stock-results.consumer';

/** The order service, wired and consuming stock results, not yet listening (main.ts and the tests listen). */
export function createOrderService(config: OrderServiceConfig, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  return createServiceApp(AppModule.forRoot(config), [StockResultsConsumer.queue], { server: config, ...options });
}
