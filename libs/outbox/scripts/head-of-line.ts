/**
 * Measures how fast the relay drains 2,000 good rows with one unroutable row at the head of the
 * outbox, against the same rows without it (issue 19: one route's failure never holds back
 * another's). Each run has its own throwaway database and vhost; prints the rates and their ratio.
 *
 *   pnpm build && pnpm --filter @shop/bench exec tsx --tsconfig ../tsconfig.base.json ../libs/outbox/scripts/head-of-line.ts [rows=2000] [runs=3]
 */
import { Logger } from '@nestjs/common';
import { AmqpConnection, Publisher, type Topology } from '@shop/messaging';
import { createDatabase, createVhost } from '@shop/testing';
import { DataSource } from 'typeorm';
import { OUTBOX_MIGRATIONS, OutboxRelay, OutboxService } from '../src';

const rows = Number(process.argv[2] ?? 2_000);
const runs = Number(process.argv[3] ?? 3);
const topology: Topology = {
  retryExchange: 'hol.retry',
  deadLetterExchange: 'hol.dlx',
  exchanges: [
    { name: 'hol.events', type: 'topic' },
    { name: 'hol.quiet', type: 'topic' },
    { name: 'hol.retry', type: 'direct' },
    { name: 'hol.dlx', type: 'direct' },
  ],
  queues: [{ name: 'hol.sink', bindings: [{ exchange: 'hol.events', routingKey: '#' }], retryDelaysMs: [], maxAttempts: 1 }],
};
// Nest's Logger prints the relay's warnings; keep the output to the figures.
Logger.overrideLogger(false);

async function drain(withBadHead: boolean): Promise<number> {
  const database = await createDatabase('head_of_line');
  const vhost = await createVhost('head-of-line');
  const dataSource = new DataSource({ type: 'postgres', url: database.url, migrations: OUTBOX_MIGRATIONS, extra: { max: 5 } });
  await dataSource.initialize();
  await dataSource.runMigrations();
  const connection = new AmqpConnection({ urls: [vhost.url], connectionName: 'head-of-line', topology });
  await connection.onModuleInit();
  await connection.waitUntilConnected();
  const outbox = new OutboxService(dataSource, {});
  try {
    if (withBadHead) {
      await dataSource.transaction((manager) => outbox.add(manager, [{ exchange: 'hol.quiet', routingKey: 'nobody.bound', payload: { bad: true } }]));
    }
    const good = await dataSource.transaction((manager) =>
      outbox.add(
        manager,
        Array.from({ length: rows }, (_, n) => ({ exchange: 'hol.events', routingKey: 'thing.happened', payload: { n } })),
      ),
    );
    // The service's defaults: batches of 200, polling every second, backoff up to 5 s.
    const relay = new OutboxRelay(dataSource, new Publisher(connection), outbox, {});
    const started = process.hrtime.bigint();
    relay.onApplicationBootstrap();
    for (;;) {
      const [{ n }]: { n: number }[] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE id = ANY($1) AND published_at IS NULL`, [good]);
      if (n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await relay.onModuleDestroy();
    return rows / seconds;
  } finally {
    await connection.onApplicationShutdown();
    await dataSource.destroy();
    await database.drop();
    await vhost.remove();
  }
}

async function main(): Promise<void> {
  const rates: { clean: number[]; badHead: number[] } = { clean: [], badHead: [] };
  await drain(false); // warm-up, not counted
  for (let run = 0; run < runs; run++) {
    // Alternated, so neither always runs first.
    for (const withBadHead of run % 2 === 0 ? [false, true] : [true, false]) (withBadHead ? rates.badHead : rates.clean).push(await drain(withBadHead));
    console.log(
      `run ${run + 1}: ${Math.round(rates.clean.at(-1)!)} rows/s clean, ${Math.round(rates.badHead.at(-1)!)} rows/s with an unroutable row at the head`,
    );
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const clean = median(rates.clean);
  const badHead = median(rates.badHead);
  console.log(
    `median of ${runs} runs, ${rows} good rows: ${Math.round(clean)} rows/s clean, ${Math.round(badHead)} rows/s with the unroutable head; ratio ${(badHead / clean).toFixed(2)}`,
  );
}

void main();
