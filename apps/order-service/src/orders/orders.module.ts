import { Module } from '@nestjs/common';
import { OrderStatusStream } from './order-status.stream';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { OrdersService } from './orders.service';
import { StockResultsConsumer } from './stock-results.consumer';

@Module({
  controllers: [OrdersController, StockResultsConsumer],
  providers: [OrdersService, OrdersRepository, OrderStatusStream],
})
export class OrdersModule {}
