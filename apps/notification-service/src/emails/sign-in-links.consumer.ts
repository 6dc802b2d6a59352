import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { QUEUES, routingKeysOf, type ConsumedEvent } from '@shop/contracts';
import { BatchEventPattern, type Delivery } from '@shop/messaging';
import { EmailsService } from './emails.service';

const QUEUE = QUEUES.notificationsSignInLinks;

/**
 * The sign-in links from the `notifications.sign-in-links` queue (signin.requested, written to
 * order-service's outbox by POST /api/sessions/link): one email each. The messages are acked when the promise resolves.
 */
@Controller()
export class SignInLinksConsumer {
  constructor(private readonly emails: EmailsService) {}

  // The transport checked each payload against the whole schema of its type.
  @BatchEventPattern(routingKeysOf(QUEUE))
  onSignInRequested(@Payload() links: (Delivery & ConsumedEvent<typeof QUEUE>)[]): Promise<void> {
    return this.emails.sendSignInEmails(links);
  }
}
