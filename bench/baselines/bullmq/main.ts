import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { BullmqConsumerModule } from './consumer';
import { BullmqOrdersModule } from './orders';

/** `BULLMQ_ROLE=orders|consumer`: one of the two processes of the BullMQ baseline, on Redis at `REDIS_HOST`:`REDIS_PORT`. */
async function main(): Promise<void> {
  const role = process.env.BULLMQ_ROLE;
  const module = role === 'orders' ? BullmqOrdersModule : role === 'consumer' ? BullmqConsumerModule : null;
  if (!module) throw new Error(`BULLMQ_ROLE must be "orders" or "consumer", not "${role}"`);
  // BullMQ's production guide: log unhandled errors rather than let a Redis hiccup end the process.
  const logger = new Logger(`bullmq-${role}`);
  process.on('uncaughtException', (err) => logger.error(err));
  process.on('unhandledRejection', (reason) => logger.error(reason));
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), { logger: ['error', 'warn'] });
  // Closing the app closes the workers (BullMQ's graceful shutdown: active jobs finish first) and the pg pool's hold on the process.
  const close = () => void app.close().finally(() => process.exit(0));
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
  await app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
