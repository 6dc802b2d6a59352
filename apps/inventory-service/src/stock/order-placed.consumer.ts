import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ROUTING_KEYS, type OrderPlaced } from '@shop/contracts';
import type { AmqpContext } from '@shop/messaging';
import { StockService } from './stock.service';

/** Orders from the `inventory.order-placed` queue. The message is acked when the promise resolves. */
@Controller()
export class OrderPlacedConsumer {
  constructor(private readonly stock: StockService) {}

  @EventPattern(ROUTING_KEYS.orderPlaced)
  onOrderPlaced(@Payload() event: OrderPlaced, @Ctx() context: AmqpContext): Promise<void> {
    return this.stock.reserveStock(event, {
      messageId: context.getMessageId(),
      correlationId: context.getCorrelationId(),
      traceparent: context.getTraceparent(),
    });
  }
}
