import { DynamicModule, Module } from '@nestjs/common';
import { ORDER_STREAM_SETTINGS, OrderStatusStream, type OrderStreamSettings } from './order-status.stream';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { OrdersService } from './orders.service';
import { StockResultsConsumer } from './stock-results.consumer';

@Module({})
export class OrdersModule {
  /** `streams`: caps and heartbeat of the live status streams (see OrdersController.statusEvents). */
  static forRoot(streams: OrderStreamSettings): DynamicModule {
    return {
      module: OrdersModule,
      controllers: [OrdersController, StockResultsConsumer],
      providers: [OrdersService, OrdersRepository, OrderStatusStream, { provide: ORDER_STREAM_SETTINGS, useValue: streams }],
    };
  }
}
