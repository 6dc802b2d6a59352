import { DynamicModule, Module } from '@nestjs/common';
import { SHOP_NAME } from '@shop/contracts';
import { serviceInfrastructure } from '@shop/service';
import { mailDomainOf, type NotificationServiceConfig } from './config';
import { CreateSentEmails1733100000001 } from './database/migrations/1733100000001-create-sent-emails';
import { SentEmailsSignIn1733100000002 } from './database/migrations/1733100000002-sent-emails-sign-in';
import { SentEmailsInOrder1733100000003 } from './database/migrations/1733100000003-sent-emails-in-order';
import { EmailsModule } from './emails/emails.module';
import { EmailsTraceSource } from './emails/emails-trace.source';

@Module({})
export class AppModule {
  static forRoot(config: NotificationServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...serviceInfrastructure(config, {
          name: 'notification-service',
          entities: [],
          orderTrace: EmailsTraceSource,
          migrations: [CreateSentEmails1733100000001, SentEmailsSignIn1733100000002, SentEmailsInOrder1733100000003],
        }),
        EmailsModule.forRoot(
          { smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, timeoutMs: config.SMTP_TIMEOUT_MS, maxConnections: config.SMTP_MAX_CONNECTIONS },
          { name: SHOP_NAME, url: config.SHOP_URL, from: config.MAIL_FROM, mailDomain: mailDomainOf(config.MAIL_FROM) },
        ),
      ],
    };
  }
}
