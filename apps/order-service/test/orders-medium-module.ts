import type { Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InboxService, OUTBOX_MIGRATIONS, OUTBOX_OPTIONS, OutboxService } from '@shop/outbox';
import { CATALOG_CACHE_MS, CatalogService } from '../src/catalog/catalog.service';
import { Product } from '../src/catalog/product.entity';
import { CreateCatalog1732500000001 } from '../src/database/migrations/1732500000001-create-catalog';
import { CreateOrders1732500000002 } from '../src/database/migrations/1732500000002-create-orders';
import { PendingOrdersIndex1733300000005 } from '../src/database/migrations/1733300000005-pending-orders-index';
import { PaidAndCancellableOrders1765000000006 } from '../src/database/migrations/1765000000006-paid-and-cancellable-orders';
import { OrderLine } from '../src/orders/order-line.entity';
import { Order } from '../src/orders/order.entity';
import { INTAKE_BATCH_MAX, OrdersRepository } from '../src/orders/orders.repository';
import { CANCEL_TOKEN_SECRET, OrdersService } from '../src/orders/orders.service';

/** The cancel tokens' secret of the medium tests. */
export const MEDIUM_CANCEL_TOKEN_SECRET = 'a-cancel-token-secret-for-the-medium-tests';

/**
 * OrdersService with its repository, the catalog, the inbox and the outbox, real, on the database at
 * `url` (migrated); no broker, no HTTP (immich's "medium test"). `providers` adds what a test needs.
 */
export function ordersMediumModule(url: string, providers: Provider[] = []): Promise<TestingModule> {
  return Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url,
        entities: [Product, Order, OrderLine],
        migrations: [
          ...OUTBOX_MIGRATIONS,
          CreateCatalog1732500000001,
          CreateOrders1732500000002,
          PendingOrdersIndex1733300000005,
          PaidAndCancellableOrders1765000000006,
        ],
        migrationsRun: true,
        synchronize: false,
      }),
    ],
    providers: [
      OrdersService,
      OrdersRepository,
      CatalogService,
      InboxService,
      OutboxService,
      { provide: CATALOG_CACHE_MS, useValue: 0 },
      { provide: OUTBOX_OPTIONS, useValue: {} },
      { provide: CANCEL_TOKEN_SECRET, useValue: MEDIUM_CANCEL_TOKEN_SECRET },
      // The service's default (see INTAKE_BATCH_MAX in config.ts); a test may provide its own.
      { provide: INTAKE_BATCH_MAX, useValue: 64 },
      ...providers,
    ],
  }).compile();
}
