import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { QUEUES, routingKeysOf, type ConsumedEvent } from '@shop/contracts';
import { BatchEventPattern, type Delivery } from '@shop/messaging';
import { PaymentsService } from './payments.service';

const QUEUE = QUEUES.paymentsOrderPayments;

/**
 * The order events from the `payments.order-payments` queue (order.reserved, order.confirmed,
 * order.cancelled): authorize, capture, void or refund, once per order. The messages are acked
 * when the promise resolves.
 */
@Controller()
export class OrderPaymentsConsumer {
  constructor(private readonly payments: PaymentsService) {}

  // The transport checked each payload against the whole schema of its type.
  @BatchEventPattern(routingKeysOf(QUEUE))
  onOrderEvents(@Payload() events: (Delivery & ConsumedEvent<typeof QUEUE>)[]): Promise<void> {
    return this.payments.handle(events);
  }
}
