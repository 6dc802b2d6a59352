import { DynamicModule, Module } from '@nestjs/common';
import { serviceInfrastructure } from '@shop/service';
import { CatalogModule } from './catalog/catalog.module';
import { Product } from './catalog/product.entity';
import type { OrderServiceConfig } from './config';
import { CreateCatalog1732500000001 } from './database/migrations/1732500000001-create-catalog';
import { CreateOrders1732500000002 } from './database/migrations/1732500000002-create-orders';
import { CatalogSearch1732500000003 } from './database/migrations/1732500000003-catalog-search';
import { CreateSignInLinksAndSessions1732500000004 } from './database/migrations/1732500000004-create-sign-in-links-and-sessions';
import { PendingOrdersIndex1733300000005 } from './database/migrations/1733300000005-pending-orders-index';
import { PaidAndCancellableOrders1765000000006 } from './database/migrations/1765000000006-paid-and-cancellable-orders';
import { OperationsModule } from './operations/operations.module';
import { OrdersTraceSource } from './operations/orders-trace.source';
import { OrderLine } from './orders/order-line.entity';
import { Order } from './orders/order.entity';
import { OrdersModule } from './orders/orders.module';
import { SessionsModule } from './sessions/sessions.module';
import { SystemModule } from './system/system.module';

@Module({})
export class AppModule {
  static forRoot(config: OrderServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...serviceInfrastructure(config, {
          name: 'order-service',
          entities: [Product, Order, OrderLine],
          orderTrace: OrdersTraceSource,
          migrations: [
            CreateCatalog1732500000001,
            CreateOrders1732500000002,
            CatalogSearch1732500000003,
            CreateSignInLinksAndSessions1732500000004,
            PendingOrdersIndex1733300000005,
            PaidAndCancellableOrders1765000000006,
          ],
        }),
        CatalogModule.forRoot(config.CATALOG_CACHE_MS),
        OrdersModule.forRoot(
          { maxPerClient: config.SSE_MAX_STREAMS_PER_CLIENT, maxTotal: config.SSE_MAX_STREAMS, heartbeatMs: config.SSE_HEARTBEAT_MS },
          config.CANCEL_TOKEN_SECRET,
          config.INTAKE_BATCH_MAX,
        ),
        SessionsModule.forRoot(config),
        SystemModule.forRoot(config.STATUS_PROBE_TIMEOUT_MS, config.ORDER_STUCK_AFTER_SECONDS),
        OperationsModule.forRoot({
          adminToken: config.ADMIN_TOKEN,
          probeTimeoutMs: config.STATUS_PROBE_TIMEOUT_MS,
          stuckAfterSeconds: config.ORDER_STUCK_AFTER_SECONDS,
          peers: {
            urls: { inventory: config.INVENTORY_URL, notifications: config.NOTIFICATION_URL, payments: config.PAYMENT_URL },
            timeoutMs: config.STATUS_PROBE_TIMEOUT_MS * 3,
          },
          traceUrlTemplate: config.TRACE_URL_TEMPLATE,
        }),
      ],
    };
  }
}
