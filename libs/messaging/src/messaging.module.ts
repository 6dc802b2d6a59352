import { Catch, DynamicModule, Global, INestApplication, Module, RpcExceptionFilter } from '@nestjs/common';
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
 * needs the real error to decide between retry and dead letter and to record the reason.
 */
@Catch()
class PassHandlerErrorsToTransport implements RpcExceptionFilter {
  catch(exception: unknown) {
    return throwError(() => exception);
  }
}

/** Attaches the `@EventPattern` handlers of `app` to RabbitMQ queues. Call before `app.startAllMicroservices()`. */
export function connectConsumers(app: INestApplication, options: ConsumerOptions): INestMicroservice {
  const strategy = new AmqpConsumerServer(app.get(AmqpConnection), app.get<MessagingOptions>(MESSAGING_OPTIONS), options);
  const microservice = app.connectMicroservice({ strategy });
  microservice.useGlobalFilters(new PassHandlerErrorsToTransport());
  return microservice;
}
