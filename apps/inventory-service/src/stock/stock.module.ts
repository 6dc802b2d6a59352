import { DynamicModule, Module } from '@nestjs/common';
import { ADMIN_TOKEN, AdminTokenGuard } from '@shop/platform';
import { OrderPlacedConsumer } from './order-placed.consumer';
import { OrderReleasesConsumer } from './order-releases.consumer';
import { StockController } from './stock.controller';
import { StockRepository } from './stock.repository';
import { StockService } from './stock.service';

@Module({})
export class StockModule {
  static forRoot(adminToken: string | undefined): DynamicModule {
    return {
      module: StockModule,
      controllers: [StockController, OrderPlacedConsumer, OrderReleasesConsumer],
      providers: [StockService, StockRepository, AdminTokenGuard, { provide: ADMIN_TOKEN, useValue: adminToken }],
    };
  }
}
