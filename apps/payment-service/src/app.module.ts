import { DynamicModule, Module } from '@nestjs/common';
import { serviceInfrastructure } from '@shop/service';
import type { PaymentServiceConfig } from './config';
import { CreatePayments1734200000001 } from './database/migrations/1734200000001-create-payments';
import { PaymentsModule } from './payments/payments.module';
import { PaymentsTraceSource } from './payments/payments-trace.source';

@Module({})
export class AppModule {
  static forRoot(config: PaymentServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...serviceInfrastructure(config, {
          name: 'payment-service',
          entities: [],
          orderTrace: PaymentsTraceSource,
          migrations: [CreatePayments1734200000001],
        }),
        PaymentsModule.forRoot({ url: config.PAYMENT_PROVIDER_URL, apiKey: config.PAYMENT_PROVIDER_API_KEY, timeoutMs: config.PAYMENT_PROVIDER_TIMEOUT_MS }),
      ],
    };
  }
}
