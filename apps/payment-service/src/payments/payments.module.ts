import { DynamicModule, Module } from '@nestjs/common';
import { OrderPaymentsConsumer } from './order-payments.consumer';
import { PAYMENT_PROVIDER_SETTINGS, PaymentProviderClient, type PaymentProviderSettings } from './payment-provider.client';
import { PaymentsRepository } from './payments.repository';
import { PaymentsService } from './payments.service';

@Module({})
export class PaymentsModule {
  static forRoot(provider: PaymentProviderSettings): DynamicModule {
    return {
      module: PaymentsModule,
      controllers: [OrderPaymentsConsumer],
      providers: [PaymentsService, PaymentsRepository, PaymentProviderClient, { provide: PAYMENT_PROVIDER_SETTINGS, useValue: provider }],
    };
  }
}
