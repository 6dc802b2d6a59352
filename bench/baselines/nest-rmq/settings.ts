import { Transport, type RmqOptions } from '@nestjs/microservices';

/** The queue order_placed events go to (consumed by the stock consumer). */
export const ORDERS_QUEUE = 'orders_queue';
/** The queue stock_result events go back by (consumed by the orders app). */
export const RESULTS_QUEUE = 'stock_results_queue';

export type NestRmqSetting = 'defaults' | 'ack';

export function settingFromEnv(): NestRmqSetting {
  const setting = process.env.NEST_RMQ_SETTING;
  if (setting !== 'defaults' && setting !== 'ack') throw new Error(`NEST_RMQ_SETTING must be "defaults" or "ack", not "${setting}"`);
  return setting;
}

/**
 * The transport's options for a server (`createMicroservice`, `connectMicroservice`), as
 * https://docs.nestjs.com/microservices/rabbitmq shows them.
 *
 * - `defaults`: the page's example, `queueOptions: { durable: false }`; nothing else, so `noAck`
 *   is the transport's default (true: the broker forgets a message once it is delivered),
 *   `persistent` its default (false) and `prefetchCount` its default (0: no limit).
 * - `ack`: the page's "Message acknowledgement" setting, `noAck: false` with `channel.ack()` in
 *   the handler once its work is committed, plus the option the page offers for messages that
 *   survive a broker restart, `persistent: true`, which only helps in a durable queue, so
 *   `queueOptions: { durable: true }`. `prefetchCount` stays the default (0: no limit).
 */
export function rmqServerOptions(setting: NestRmqSetting, queue: string): RmqOptions {
  const urls = [process.env.RABBITMQ_URL ?? 'amqp://localhost:5672'];
  if (setting === 'defaults') return { transport: Transport.RMQ, options: { urls, queue, queueOptions: { durable: false } } };
  return { transport: Transport.RMQ, options: { urls, queue, noAck: false, persistent: true, queueOptions: { durable: true } } };
}

/**
 * The same for a client (`ClientsModule.register`), less `noAck`: the client applies it to the
 * consumer of its reply queue, which RabbitMQ refuses ("PRECONDITION_FAILED - reply consumer
 * cannot acknowledge", nestjs/nest#11862), so the process dies at startup. A client only emits.
 */
export function rmqClientOptions(setting: NestRmqSetting, queue: string): RmqOptions {
  const { transport, options } = rmqServerOptions(setting, queue);
  const { noAck: _serverOnly, ...clientOptions } = options ?? {};
  return { transport, options: clientOptions };
}

/** What the orders app emits once the order is committed. */
export interface OrderPlaced {
  orderId: string;
  lines: { sku: string; quantity: number }[];
}

/** What the consumer emits once stock is reserved or refused. */
export interface StockResult {
  orderId: string;
  status: 'CONFIRMED' | 'REJECTED';
  reason?: string;
}
