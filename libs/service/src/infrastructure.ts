import type { DynamicModule, Type } from '@nestjs/common';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { isRouted, replayExchangeOf, topologyFor, withRetryPolicy, type Service } from '@shop/contracts';

/** What every service's replay exchange starts with (replayExchangeOf). */
const REPLAY_EXCHANGE_PREFIX = replayExchangeOf('' as Service);
import { MessagingModule } from '@shop/messaging';
import { OUTBOX_MIGRATIONS, OutboxModule, type OutboxOptions } from '@shop/outbox';
import { ConfigError, HealthModule, loggingModule, MetricsModule } from '@shop/platform';
import { DataSource, type MigrationInterface } from 'typeorm';
import type { ServiceEnv } from './config';
import { runMigrationsOnce } from './migrations';
import type { OrderTraceSource } from './operations/order-trace';
import { ServiceOperationsModule } from './operations/service-operations.module';

export interface ServiceSpec {
  /** Log field, broker connection name, and whose part of the topology it declares. */
  name: Service;
  entities: Type<unknown>[];
  /** The service's own migrations; the outbox/inbox and dead-letter migrations are added before them. */
  migrations: Type<MigrationInterface>[];
  /** The service's own hops of an order (its decisions, its emails), for the operators' timeline. */
  orderTrace?: Type<OrderTraceSource>;
}

/**
 * node-postgres pool settings: every wait on the database is bounded, so a database that is gone
 * or a link that froze fails a request in seconds (503, see DatabaseUnavailableFilter), never hangs it.
 */
export function databasePoolOptions(config: ServiceEnv, applicationName: string) {
  if (config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS <= config.RABBITMQ_PUBLISH_TIMEOUT_MS) {
    // The outbox relay holds its claim transaction open while it waits for the broker's confirms.
    throw new ConfigError([`DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: must be more than RABBITMQ_PUBLISH_TIMEOUT_MS (${config.RABBITMQ_PUBLISH_TIMEOUT_MS})`]);
  }
  return {
    max: config.DATABASE_POOL_SIZE,
    application_name: applicationName,
    // Opening a connection, and waiting for a free one in the pool.
    connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS,
    // Set on the server: a slow statement is cancelled there, and the connection stays usable.
    statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
    // Counted by the client: an answer that never comes (a frozen link). Later than the server's, so that one wins when the server is reachable.
    query_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS + 1_000,
    idle_in_transaction_session_timeout: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: config.DATABASE_KEEPALIVE_MS,
  };
}

/**
 * The outbox's settings. The inbox must remember a message id for longer than that message can
 * come back (the longest retry delay before each attempt), or a late redelivery would be applied again.
 */
export function outboxOptions(config: ServiceEnv): OutboxOptions {
  const redeliveryWindowMs = Math.max(...config.RETRY_DELAYS_MS) * config.MAX_ATTEMPTS;
  if (config.INBOX_RETENTION_HOURS * 3_600_000 <= redeliveryWindowMs) {
    throw new ConfigError([
      `INBOX_RETENTION_HOURS: must be longer than a message can be redelivered (the longest of RETRY_DELAYS_MS times MAX_ATTEMPTS: ${redeliveryWindowMs / 1_000} s)`,
    ]);
  }
  return {
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    batchSize: config.OUTBOX_BATCH_SIZE,
    maxPublishAttempts: config.OUTBOX_MAX_PUBLISH_ATTEMPTS,
    outboxRetentionHours: config.OUTBOX_RETENTION_HOURS,
    inboxRetentionHours: config.INBOX_RETENTION_HOURS,
    // An event the route table binds to no queue yet (a lifecycle event before its first receiver) is dropped by the broker, not retried.
    // A replay goes to one queue by its name: a replay no queue takes is a fault, never dropped.
    mustBeRouted: (routingKey, exchange) => exchange.startsWith(REPLAY_EXCHANGE_PREFIX) || isRouted(routingKey),
  };
}

/**
 * What every service of the shop stands on: logs, its PostgreSQL database (migrations run at start under an
 * advisory lock, never `synchronize`), the broker, the outbox and inbox, health and metrics.
 */
export function serviceInfrastructure(config: ServiceEnv, spec: ServiceSpec): (DynamicModule | Type<unknown>)[] {
  const database: TypeOrmModuleOptions = {
    type: 'postgres',
    url: config.DATABASE_URL,
    entities: spec.entities,
    migrations: [...OUTBOX_MIGRATIONS, ...spec.migrations],
    // Run by runMigrationsOnce, under a lock, so replicas starting together run them once.
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Extensions are the migrations' job (under their lock), never created at connect.
    installExtensions: false,
    extra: databasePoolOptions(config, spec.name),
    // A database not reachable yet, or a migration that failed: the whole start (connect, migrate) is tried again.
    retryAttempts: 20,
    retryDelay: 1_500,
  };
  return [
    loggingModule(config.LOG_LEVEL, spec.name),
    TypeOrmModule.forRootAsync({
      useFactory: () => database,
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        try {
          await runMigrationsOnce(dataSource);
        } catch (err) {
          await dataSource.destroy();
          throw err;
        }
        return dataSource;
      },
    }),
    MessagingModule.forRoot({
      urls: config.RABBITMQ_URL,
      connectionName: spec.name,
      topology: withRetryPolicy(topologyFor(spec.name), config.RETRY_DELAYS_MS, config.MAX_ATTEMPTS),
      prefetch: config.CONSUMER_PREFETCH,
      heartbeatSeconds: config.RABBITMQ_HEARTBEAT_S,
      connectTimeoutMs: config.RABBITMQ_CONNECT_TIMEOUT_MS,
      publishTimeoutMs: config.RABBITMQ_PUBLISH_TIMEOUT_MS,
    }),
    OutboxModule.forRoot(outboxOptions(config)),
    ServiceOperationsModule.forRoot(spec.name, config.ADMIN_TOKEN, spec.orderTrace),
    HealthModule,
    MetricsModule.forRoot({ port: config.METRICS_PORT, host: config.HOST }),
  ];
}
