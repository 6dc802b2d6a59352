import { Controller, Get, Header, Param } from '@nestjs/common';
import type { SentEmailView } from '@shop/contracts';
import { EmailsService } from './emails.service';
import { orderIdPipe } from './order-id.pipe';

/**
 * What the storefront's order page shows: which emails went out. The order id is the capability
 * (unguessable, as for GET /api/orders/:id); there is no listing by email address.
 */
@Controller('api/notifications')
export class NotificationsController {
  constructor(private readonly emails: EmailsService) {}

  @Get('orders/:orderId')
  // It names the shopper's address: no browser or proxy cache may keep a copy.
  @Header('Cache-Control', 'no-store')
  sentForOrder(@Param('orderId', orderIdPipe) orderId: string): Promise<SentEmailView[]> {
    return this.emails.sentFor(orderId);
  }
}
