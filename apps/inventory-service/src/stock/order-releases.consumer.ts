import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { QUEUES, routingKeysOf, type ConsumedEvent } from '@shop/contracts';
import { BatchEventPattern, type Delivery } from '@shop/messaging';
import { StockService } from './stock.service';

const QUEUE = QUEUES.inventoryOrderReleases;

/**
 * Rejected and cancelled orders from the `inventory.order-releases` queue: inventory gives back what
 * it holds for each, exactly once, the waiting ones together in one transaction.
 */
@Controller()
export class OrderReleasesConsumer {
  constructor(private readonly stock: StockService) {}

  // Both events are read through the same tolerant reader (the order id), so they are released alike.
  @BatchEventPattern(routingKeysOf(QUEUE))
  onOrderReleased(@Payload() releases: (Delivery & ConsumedEvent<typeof QUEUE>)[]): Promise<void> {
    return this.stock.releaseStock(releases);
  }
}
