import { Catch, DynamicModule, Global, INestApplication, Module, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { throwError } from 'rxjs';
import { AmqpConnection } from './amqp-connection';
import { AmqpConsumerServer, type ConsumerOptions } from './amqp-consumer.server';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
import { Publisher } from './publisher';

/** The shared queue module: one recovering connection, a confirming Publisher, and the consumer transport. */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions): DynamicModule {
    return {
      module: MessagingModule,
      providers: [{ provide: MESSAGING_OPTIONS, useValue: options }, AmqpConnection, Publisher],
      exports: [MESSAGING_OPTIONS, AmqpConnection, Publisher],
    };
  }
}

/**
 * Nest's default RPC filter replaces a handler's error with "Internal server error"; the consumer
 * needs the real error to choose between retry and dead letter, and to record the reason. HTTP
 * errors keep Nest's default handling.
 */
@Catch()
class PassHandlerErrorsToTransport extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType() === 'rpc') return throwError(() => exception);
    return super.catch(exception, host);
  }
}

/** Attaches the `@BatchEventPattern` handlers of `app` to RabbitMQ queues. Call before `app.startAllMicroservices()`. */
export function connectConsumers(app: INestApplication, options: ConsumerOptions): INestMicroservice {
  const strategy = new AmqpConsumerServer(app.get(AmqpConnection), app.get<MessagingOptions>(MESSAGING_OPTIONS), options);
  // Filters are bound to handlers when the microservice is connected, so register this one first, app-wide.
  app.useGlobalFilters(new PassHandlerErrorsToTransport(app.getHttpAdapter()));
  return app.connectMicroservice({ strategy }, { inheritAppConfig: true });
}
