import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { QUEUES, routingKeysOf, type ConsumedEvent } from '@shop/contracts';
import { BatchEventPattern, type Delivery } from '@shop/messaging';
import { EmailsService } from './emails.service';

const QUEUE = QUEUES.notificationsOrderEvents;

/**
 * The order lifecycle events from the `notifications.order-events` queue (order.placed,
 * order.confirmed, order.rejected, order.cancelled): one email each, in the order's own order (see
 * emailPlan). The messages are acked when the promise resolves.
 */
@Controller()
export class OrderEventsConsumer {
  constructor(private readonly emails: EmailsService) {}

  // The transport checked each payload against the whole schema of its type.
  @BatchEventPattern(routingKeysOf(QUEUE))
  onOrderEvent(@Payload() events: (Delivery & ConsumedEvent<typeof QUEUE>)[]): Promise<void> {
    return this.emails.sendOrderEmails(events);
  }
}
