import { DynamicModule, Logger, Module } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ORDER_STREAM_SETTINGS, OrderStatusStream, type OrderStreamSettings } from './order-status.stream';
import { OrdersController } from './orders.controller';
import { INTAKE_BATCH_MAX, OrdersRepository } from './orders.repository';
import { CANCEL_TOKEN_SECRET, OrdersService } from './orders.service';
import { PaymentResultsConsumer } from './payment-results.consumer';
import { StockResultsConsumer } from './stock-results.consumer';

@Module({})
export class OrdersModule {
  /**
   * `streams`: caps and heartbeat of the live status streams (see OrdersController.statusEvents);
   * `cancelTokenSecret`: CANCEL_TOKEN_SECRET, if set; `intakeBatchMax`: INTAKE_BATCH_MAX.
   */
  static forRoot(streams: OrderStreamSettings, cancelTokenSecret: string | undefined, intakeBatchMax: number): DynamicModule {
    return {
      module: OrdersModule,
      controllers: [OrdersController, StockResultsConsumer, PaymentResultsConsumer],
      providers: [
        OrdersService,
        OrdersRepository,
        OrderStatusStream,
        { provide: ORDER_STREAM_SETTINGS, useValue: streams },
        { provide: INTAKE_BATCH_MAX, useValue: intakeBatchMax },
        { provide: CANCEL_TOKEN_SECRET, useFactory: () => cancelTokenSecret ?? generatedSecret() },
      ],
    };
  }
}

/** Keeps "starts without any configuration" true; every replica needs the same secret, so it is said loudly. */
function generatedSecret(): string {
  new Logger(OrdersModule.name).warn(
    "CANCEL_TOKEN_SECRET is not set: using a random one, so an order's cancelToken works only on this instance and only until it restarts (a signed-in shopper can still cancel); set CANCEL_TOKEN_SECRET (32 characters or more) on every replica",
  );
  return randomBytes(32).toString('base64url');
}
