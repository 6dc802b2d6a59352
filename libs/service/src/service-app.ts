import type { DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { eventSchemaFor } from '@shop/contracts';
import { connectConsumers } from '@shop/messaging';
import { ConfigError, createHttpApp, DatabaseUnavailableFilter, isTransientDatabaseError, type HttpAppOptions } from '@shop/platform';

export interface ServiceAppOptions extends HttpAppOptions {
  /** The service's own outages, besides its database's (a mail server down, say): retried without counting an attempt. */
  isTransient?: (err: unknown) => boolean;
}

/** A shop service with its `@BatchEventPattern` handlers consuming `queues`, each message checked against its contract; not yet listening for HTTP. */
export async function createServiceApp(module: DynamicModule, queues: string[], options: ServiceAppOptions = {}): Promise<NestFastifyApplication> {
  const { isTransient: isOwnOutage, ...httpOptions } = options;
  const app = await createHttpApp(module, httpOptions);
  const isTransient = isOwnOutage ? (err: unknown) => isTransientDatabaseError(err) || isOwnOutage(err) : isTransientDatabaseError;
  connectConsumers(app, { queues, schemaFor: eventSchemaFor, isTransient });
  // After the consumers' catch-all filter: Nest tries the filter registered last first.
  app.useGlobalFilters(new DatabaseUnavailableFilter(app.getHttpAdapter()));
  await app.startAllMicroservices();
  return app;
}

/** Runs a service's main; a configuration error prints the variables to fix, without a stack trace. */
export function runMain(service: string, main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    console.error(err instanceof ConfigError ? `${service}: ${err.message}` : err);
    process.exit(1);
  });
}
