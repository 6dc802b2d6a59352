import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HttpAppOptions } from '@shop/platform';
import { createServiceApp } from '@shop/service';
import { AppModule } from './app.module';
import type { PaymentServiceConfig } from './config';
import { isProviderOutage } from './payments/payment-provider.client';

/** The payment service, wired and consuming the order events it pays for, not yet listening (main.ts and the tests listen). */
export function createPaymentService(config: PaymentServiceConfig, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  // A provider that is down, busy or too slow to answer is the service's own outage, like its database's: the order waits
  // (retried with backoff and the same idempotency keys, never counted, never dead-lettered) until the provider answers.
  return createServiceApp(AppModule.forRoot(config), 'payment-service', {
    server: config,
    isTransient: isProviderOutage,
    // Batches of one message, PAYMENT_CONCURRENCY at once per type: an authorization that hangs until its
    // timeout holds up only its own order, and is retried on its own while the others are acked.
    batching: { maxBatch: 1, concurrentBatches: config.PAYMENT_CONCURRENCY },
    ...options,
  });
}
