import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ROUTING_KEYS, type StockRejected, type StockReserved } from '@shop/contracts';
import type { AmqpContext } from '@shop/messaging';
import { OrdersService } from './orders.service';

/** Inventory's answers, from the `orders.stock-results` queue. The message is acked when the promise resolves. */
@Controller()
export class StockResultsConsumer {
  constructor(private readonly orders: OrdersService) {}

  @EventPattern(ROUTING_KEYS.stockReserved)
  onStockReserved(@Payload() event: StockReserved, @Ctx() context: AmqpContext): Promise<void> {
    return this.orders.applyStockResult({ messageId: context.getMessageId(), type: ROUTING_KEYS.stockReserved, orderId: event.orderId, reason: null });
  }

  @EventPattern(ROUTING_KEYS.stockRejected)
  onStockRejected(@Payload() event: StockRejected, @Ctx() context: AmqpContext): Promise<void> {
    return this.orders.applyStockResult({ messageId: context.getMessageId(), type: ROUTING_KEYS.stockRejected, orderId: event.orderId, reason: event.reason });
  }
}
