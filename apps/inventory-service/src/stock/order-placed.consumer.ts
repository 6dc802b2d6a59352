import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { QUEUES, routingKeysOf, type ConsumedEvent } from '@shop/contracts';
import { BatchEventPattern, type Delivery } from '@shop/messaging';
import { StockService } from './stock.service';

const QUEUE = QUEUES.inventoryOrderPlaced;

/**
 * Orders from the `inventory.order-placed` queue, the waiting ones together in one transaction.
 * The messages are acked when the promise resolves.
 */
@Controller()
export class OrderPlacedConsumer {
  constructor(private readonly stock: StockService) {}

  // The transport checked each payload against the schema of its type, so a delivery is one of the queue's events.
  @BatchEventPattern(routingKeysOf(QUEUE))
  onOrderPlaced(@Payload() orders: (Delivery & ConsumedEvent<typeof QUEUE>)[]): Promise<void> {
    return this.stock.reserveStock(orders);
  }
}
