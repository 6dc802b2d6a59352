import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ROUTING_KEYS, type OrderPlaced } from '@shop/contracts';
import { BatchEventPattern, type Delivery } from '@shop/messaging';
import { StockService } from './stock.service';

/**
 * Orders from the `inventory.order-placed` queue, the waiting ones together in one transaction.
 * The messages are acked when the promise resolves.
 */
@Controller()
export class OrderPlacedConsumer {
  constructor(private readonly stock: StockService) {}

  @BatchEventPattern(ROUTING_KEYS.orderPlaced)
  onOrderPlaced(@Payload() orders: Delivery<OrderPlaced>[]): Promise<void> {
    return this.stock.reserveStock(orders);
  }
}
