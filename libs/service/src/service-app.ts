import { Injectable, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CONSUMERS, eventSchemaFor, routingKeysOf, type QueueName, type Service } from '@shop/contracts';
import { connectConsumers } from '@shop/messaging';
import { ConfigError, createHttpApp, DatabaseUnavailableFilter, isTransientDatabaseError, type HttpAppOptions } from '@shop/platform';
import { shutdownTelemetry } from '@shop/telemetry';
import { openApiControllers } from './openapi.controller';

export interface ServiceAppOptions extends HttpAppOptions {
  /** The service's own outages, besides its database's (a mail server down, say): retried without counting an attempt. */
  isTransient?: (err: unknown) => boolean;
  /** Batch size and batches at once per message type, for a service that makes a slow outside call per message (see ConsumerOptions). */
  batching?: { maxBatch: number; concurrentBatches: number };
}

/** Sends the spans still queued once the app closed (its consumers finished their last batches). */
@Injectable()
class TelemetryFlush implements OnApplicationShutdown {
  onApplicationShutdown(): Promise<void> {
    return shutdownTelemetry();
  }
}

/** The queues the route table gives this service (CONSUMERS), in the table's order. */
export const queuesOf = (service: Service): QueueName[] => (Object.keys(CONSUMERS) as QueueName[]).filter((queue) => CONSUMERS[queue] === service);

/**
 * A shop service consuming every queue the route table gives it, each message checked against its
 * contract, and serving its OpenAPI document; not yet listening for HTTP. It refuses to start (the error names the queue and the routing
 * key) when an event routed to one of its queues has no `@BatchEventPattern` handler in `module`.
 */
export async function createServiceApp(module: DynamicModule, service: Service, options: ServiceAppOptions = {}): Promise<NestFastifyApplication> {
  const { isTransient: isOwnOutage, batching, ...httpOptions } = options;
  const app = await createHttpApp(
    { ...module, controllers: [...(module.controllers ?? []), ...openApiControllers(service)], providers: [...(module.providers ?? []), TelemetryFlush] },
    httpOptions,
  );
  const isTransient = isOwnOutage ? (err: unknown) => isTransientDatabaseError(err) || isOwnOutage(err) : isTransientDatabaseError;
  connectConsumers(app, {
    queues: queuesOf(service),
    schemaFor: eventSchemaFor,
    isTransient,
    routedTypes: (queue) => routingKeysOf(queue as QueueName),
    batching,
  });
  // After the consumers' catch-all filter: Nest tries the filter registered last first.
  app.useGlobalFilters(new DatabaseUnavailableFilter(app.getHttpAdapter()));
  try {
    await app.startAllMicroservices();
  } catch (err) {
    await app.close();
    throw err;
  }
  return app;
}

/** Runs a service's main; a configuration error prints the variables to fix, without a stack trace. */
export function runMain(service: string, main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    console.error(err instanceof ConfigError ? `${service}: ${err.message}` : err);
    process.exit(1);
  });
}
