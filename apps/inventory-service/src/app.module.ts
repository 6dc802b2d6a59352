import { DynamicModule, Module } from '@nestjs/common';
import { serviceInfrastructure } from '@shop/service';
import type { InventoryServiceConfig } from './config';
import { CreateStock1732500000001 } from './database/migrations/1732500000001-create-stock';
import { CreateOrderDecisions1732500000002 } from './database/migrations/1732500000002-create-order-decisions';
import { CreateOrderReleases1765000000000 } from './database/migrations/1765000000000-create-order-releases';
import { Stock } from './stock/stock.entity';
import { StockModule } from './stock/stock.module';
import { StockTraceSource } from './stock/stock-trace.source';

@Module({})
export class AppModule {
  static forRoot(config: InventoryServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...serviceInfrastructure(config, {
          name: 'inventory-service',
          entities: [Stock],
          orderTrace: StockTraceSource,
          migrations: [CreateStock1732500000001, CreateOrderDecisions1732500000002, CreateOrderReleases1765000000000],
        }),
        StockModule.forRoot(config.ADMIN_TOKEN),
      ],
    };
  }
}
