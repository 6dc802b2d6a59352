import { DynamicModule, Module } from '@nestjs/common';
import { EmailsService, SHOP_IDENTITY } from './emails.service';
import { Mailer, MAILER_SETTINGS, type MailerSettings } from './mailer';
import { NotificationsController } from './notifications.controller';
import type { ShopIdentity } from './order-emails';
import { OrderEventsConsumer } from './order-events.consumer';
import { SentEmailsRepository } from './sent-emails.repository';
import { SignInLinksConsumer } from './sign-in-links.consumer';
import { SmtpHealthController } from './smtp-health.controller';

@Module({})
export class EmailsModule {
  static forRoot(mailer: MailerSettings, shop: ShopIdentity): DynamicModule {
    return {
      module: EmailsModule,
      controllers: [OrderEventsConsumer, SignInLinksConsumer, NotificationsController, SmtpHealthController],
      providers: [EmailsService, SentEmailsRepository, Mailer, { provide: MAILER_SETTINGS, useValue: mailer }, { provide: SHOP_IDENTITY, useValue: shop }],
    };
  }
}
