import type { DynamicModule, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { withRetryPolicy, TOPOLOGY } from '@shop/contracts';
import { MessagingModule } from '@shop/messaging';
import { CreateOutboxAndInbox1732500000000, OutboxModule } from '@shop/outbox';
import type { MigrationInterface } from 'typeorm';
import type { ServiceEnv } from './config';
import { HealthModule } from './health';
import { loggingModule } from './logging';
import { MetricsModule } from './metrics';

export interface ServiceSpec {
  /** e.g. "order-service": log field, broker connection name. */
  name: string;
  entities: Type<unknown>[];
  /** The service's own migrations; the outbox/inbox migration is added before them. */
  migrations: Type<MigrationInterface>[];
}

/**
 * What every service stands on: logs, its PostgreSQL database (migrations run at start, never
 * `synchronize`), the broker, the outbox and inbox, health and metrics.
 */
export function serviceInfrastructure(config: ServiceEnv, spec: ServiceSpec): (DynamicModule | Type<unknown>)[] {
  return [
    loggingModule(config.LOG_LEVEL, spec.name),
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: config.DATABASE_URL,
      entities: spec.entities,
      migrations: [CreateOutboxAndInbox1732500000000, ...spec.migrations],
      migrationsRun: true,
      migrationsTransactionMode: 'each',
      synchronize: false,
      extra: { max: config.DATABASE_POOL_SIZE, application_name: spec.name },
      retryAttempts: 20,
      retryDelay: 1_500,
    }),
    MessagingModule.forRoot({
      url: config.RABBITMQ_URL,
      connectionName: spec.name,
      topology: withRetryPolicy(TOPOLOGY, config.RETRY_DELAYS_MS, config.MAX_ATTEMPTS),
      prefetch: config.CONSUMER_PREFETCH,
    }),
    OutboxModule.forRoot({ pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS, batchSize: config.OUTBOX_BATCH_SIZE }),
    HealthModule,
    MetricsModule.forRoot({ port: config.METRICS_PORT, host: config.HOST }),
  ];
}
