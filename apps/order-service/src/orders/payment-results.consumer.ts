import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { QUEUES, routingKeysOf, type ConsumedEvent } from '@shop/contracts';
import { BatchEventPattern, type Delivery } from '@shop/messaging';
import { OrdersService } from './orders.service';

const QUEUE = QUEUES.ordersPaymentResults;

/**
 * payment-service's answers (authorized, declined, captured, voided, refunded), from the
 * `orders.payment-results` queue, the waiting ones of a type together in one transaction. The
 * messages are acked when the promise resolves.
 */
@Controller()
export class PaymentResultsConsumer {
  constructor(private readonly orders: OrdersService) {}

  // The transport checked each payload against the schema of its type, so a delivery is one of the queue's events.
  @BatchEventPattern(routingKeysOf(QUEUE))
  onPaymentResults(@Payload() results: (Delivery & ConsumedEvent<typeof QUEUE>)[]): Promise<void> {
    return this.orders.applyResults(
      QUEUE,
      results.map(({ messageId, type, payload, traceparent }) => ({
        messageId,
        type,
        traceparent,
        orderId: payload.orderId,
        reason: 'reason' in payload ? payload.reason : null,
      })),
    );
  }
}
