import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { createServer } from 'node:http';
import { NestRmqConsumerModule } from './consumer';
import { NestRmqOrdersModule } from './orders';
import { ORDERS_QUEUE, RESULTS_QUEUE, rmqServerOptions, settingFromEnv } from './settings';

/** `NEST_RMQ_ROLE=orders|consumer`, `NEST_RMQ_SETTING=defaults|ack`: one process of the Nest RMQ transport baseline. */
async function main(): Promise<void> {
  const role = process.env.NEST_RMQ_ROLE;
  const setting = settingFromEnv();
  const port = Number(process.env.PORT);
  const host = process.env.HOST ?? '127.0.0.1';
  if (role === 'orders') {
    // A hybrid application: HTTP for the orders, an RMQ server for the stock results.
    const app = await NestFactory.create<NestFastifyApplication>(NestRmqOrdersModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
    app.connectMicroservice<MicroserviceOptions>(rmqServerOptions(setting, RESULTS_QUEUE));
    // Its pg pool would keep the process alive after a plain close.
    process.once('SIGTERM', () => void app.close().finally(() => process.exit(0)));
    await app.startAllMicroservices();
    await app.listen(port, host);
  } else if (role === 'consumer') {
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(NestRmqConsumerModule, {
      ...rmqServerOptions(setting, ORDERS_QUEUE),
      logger: ['error', 'warn'],
    });
    process.once('SIGTERM', () => void app.close().finally(() => process.exit(0)));
    await app.listen();
    // A microservice has no HTTP server; the bench's processes are awaited by GET /health/ready.
    createServer((request, response) => {
      response.writeHead(request.url === '/health/ready' ? 200 : 404, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    }).listen(port, host);
  } else {
    throw new Error(`NEST_RMQ_ROLE must be "orders" or "consumer", not "${role}"`);
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
