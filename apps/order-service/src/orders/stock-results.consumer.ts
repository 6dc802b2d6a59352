import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ROUTING_KEYS, type StockRejected, type StockReserved } from '@shop/contracts';
import { BatchEventPattern, type Delivery } from '@shop/messaging';
import type { StockResultType } from './order-status';
import { OrdersService } from './orders.service';

/**
 * Inventory's answers, from the `orders.stock-results` queue, the waiting ones of a type together in
 * one transaction. The messages are acked when the promise resolves.
 */
@Controller()
export class StockResultsConsumer {
  constructor(private readonly orders: OrdersService) {}

  @BatchEventPattern([ROUTING_KEYS.stockReserved, ROUTING_KEYS.stockRejected])
  onStockResults(@Payload() results: Delivery<StockReserved | StockRejected>[]): Promise<void> {
    return this.orders.applyStockResults(
      results.map(({ messageId, type, payload }) => ({
        messageId,
        type: type as StockResultType,
        orderId: payload.orderId,
        reason: 'reason' in payload ? payload.reason : null,
      })),
    );
  }
}
