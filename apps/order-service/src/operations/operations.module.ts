import { DynamicModule, Module } from '@nestjs/common';
import { ADMIN_TOKEN, AdminTokenGuard } from '@shop/platform';
import { OrdersRepository } from '../orders/orders.repository';
import { STATUS_PROBE_TIMEOUT_MS, SystemService } from '../system/system.service';
import { OperationsController } from './operations.controller';
import { OrderOperationsController } from './order-operations.controller';
import { OrderTimelineService } from './order-timeline.service';
import { PEER_OPERATIONS_OPTIONS, PeerOperationsClient, type PeerOperationsOptions } from './peer-operations.client';
import { ORDER_STUCK_AFTER_SECONDS, StuckOrdersService } from './stuck-orders.service';
import { TRACE_URL_TEMPLATE } from './trace-link';

export interface OperationsOptions {
  /** The operators' bearer token; unset, every operations endpoint answers 403. */
  adminToken: string | undefined;
  /** How long the status probes wait for each part (STATUS_PROBE_TIMEOUT_MS). */
  probeTimeoutMs: number;
  /** PENDING or RESERVED longer than this, while the path is healthy, is stuck (ORDER_STUCK_AFTER_SECONDS). */
  stuckAfterSeconds: number;
  /** inventory-, payment- and notification-service, for their dead letters and hops of an order. */
  peers: Omit<PeerOperationsOptions, 'adminToken'>;
  /** Where an order's trace is shown, `{traceId}` standing for its id (TRACE_URL_TEMPLATE); unset, no link. */
  traceUrlTemplate?: string;
}

@Module({})
export class OperationsModule {
  static forRoot(options: OperationsOptions): DynamicModule {
    return {
      module: OperationsModule,
      controllers: [OperationsController, OrderOperationsController],
      // Its own SystemService (stateless, over the global outbox and broker): importing SystemModule again would mount its public route twice.
      providers: [
        SystemService,
        { provide: STATUS_PROBE_TIMEOUT_MS, useValue: options.probeTimeoutMs },
        AdminTokenGuard,
        { provide: ADMIN_TOKEN, useValue: options.adminToken },
        OrdersRepository,
        StuckOrdersService,
        OrderTimelineService,
        PeerOperationsClient,
        { provide: ORDER_STUCK_AFTER_SECONDS, useValue: options.stuckAfterSeconds },
        { provide: PEER_OPERATIONS_OPTIONS, useValue: { ...options.peers, adminToken: options.adminToken } },
        { provide: TRACE_URL_TEMPLATE, useValue: options.traceUrlTemplate ?? null },
      ],
    };
  }
}
