import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HttpAppOptions } from '@shop/platform';
import { createServiceApp } from '@shop/service';
import { AppModule } from './app.module';
import type { NotificationServiceConfig } from './config';
import { isSmtpOutage } from './emails/smtp-failure';

/** The notification service, wired and consuming the order lifecycle events and the sign-in links, not yet listening (main.ts and the tests listen). */
export function createNotificationService(config: NotificationServiceConfig, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  // A mail server outage is retried like a database outage: never counted, never dead-lettered.
  return createServiceApp(AppModule.forRoot(config), 'notification-service', {
    server: config,
    isTransient: isSmtpOutage,
    ...options,
  });
}
