import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { CoupledInventoryModule } from './inventory';
import { CoupledOrdersModule } from './orders';

/** `COUPLED_ROLE=orders|inventory`: one of the two services of the tightly coupled baseline. */
async function main(): Promise<void> {
  const role = process.env.COUPLED_ROLE;
  const module = role === 'orders' ? CoupledOrdersModule : role === 'inventory' ? CoupledInventoryModule : null;
  if (!module) throw new Error(`COUPLED_ROLE must be "orders" or "inventory", not "${role}"`);
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), { logger: ['error', 'warn'] });
  // Its pg pool would keep the process alive after a plain close.
  process.once('SIGTERM', () => void app.close().finally(() => process.exit(0)));
  await app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
