import { DynamicModule, Global, Module, type Type } from '@nestjs/common';
import type { Service } from '@shop/contracts';
import { ADMIN_TOKEN, AdminTokenGuard } from '@shop/platform';
import { DeadLetterOperations, OPERATED_SERVICE } from './dead-letter-operations';
import { operatedService } from './operated-service';
import { ORDER_TRACE_SOURCE, type OrderTraceSource } from './order-trace';
import { operationsControllers } from './operations.controllers';
import { QueueMetrics } from './queue-metrics';
import { ServiceTrace } from './service-trace';

/** Every service's operators' routes: its dead letters, parked outbox rows and audit, under its own prefix. */
// Global: a service's own operations (order-service's timelines) use its trace and dead-letter operations.
@Global()
@Module({})
export class ServiceOperationsModule {
  /** `traceSource`: the service's own hops of an order (its decisions, its emails...), for the timeline. */
  static forRoot(service: Service, adminToken: string | undefined, traceSource?: Type<OrderTraceSource>): DynamicModule {
    const { name, prefix } = operatedService(service);
    return {
      module: ServiceOperationsModule,
      controllers: operationsControllers(prefix),
      providers: [
        DeadLetterOperations,
        ServiceTrace,
        QueueMetrics,
        { provide: OPERATED_SERVICE, useValue: name },
        AdminTokenGuard,
        { provide: ADMIN_TOKEN, useValue: adminToken },
        ...(traceSource ? [traceSource, { provide: ORDER_TRACE_SOURCE, useExisting: traceSource }] : []),
      ],
      exports: [DeadLetterOperations, ServiceTrace],
    };
  }
}
