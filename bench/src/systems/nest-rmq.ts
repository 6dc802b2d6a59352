import { createDatabase, RabbitMqNode, sqlPool } from '@shop/testing';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Pool } from 'pg';
import { createNestRmqSchema } from '../../baselines/nest-rmq/schema';
import { ORDERS_QUEUE, RESULTS_QUEUE, type NestRmqSetting } from '../../baselines/nest-rmq/settings';
import { ServiceProcess } from '../processes';
import { BENCH_STOCK } from '../shop';
import type { Outcomes, SystemUnderTest } from '../system';

const MAIN = resolve(__dirname, '../../baselines/nest-rmq/main.ts');
const TSCONFIG = resolve(__dirname, '../../tsconfig.json');

/**
 * The built-in `@nestjs/microservices` RMQ transport baseline (bench/baselines/nest-rmq) in one of
 * its two settings, on fresh databases of the same server and a private RabbitMQ node of its own
 * (data in `dir`), so the broker can be SIGKILLed and started again without touching anything else.
 */
export async function startNestRmq(dir: string, setting: NestRmqSetting, log: (m: string) => void): Promise<SystemUnderTest> {
  mkdirSync(join(dir, 'rabbitmq'), { recursive: true });
  const node = new RabbitMqNode(join(dir, 'rabbitmq'));
  const cleanups: (() => Promise<void>)[] = [() => node.stop()];
  const cleanUp = () => Promise.allSettled(cleanups.reverse().map((cleanup) => cleanup()));
  try {
    const [ordersDbInfo, stockDbInfo] = await Promise.all([createDatabase('bench_nestrmq_orders'), createDatabase('bench_nestrmq_stock')]);
    cleanups.push(ordersDbInfo.drop, stockDbInfo.drop);
    await createNestRmqSchema(ordersDbInfo.url, stockDbInfo.url, BENCH_STOCK);
    await node.start();
    log(`nestRmq:${setting}: private RabbitMQ node ${node.nodeName} at ${node.url}`);

    const env = { NODE_ENV: 'production', TSX_TSCONFIG_PATH: TSCONFIG, NEST_RMQ_SETTING: setting, RABBITMQ_URL: node.url };
    const args = ['--import', 'tsx', MAIN];
    const consumer = await ServiceProcess.create(
      `nest-rmq-${setting}-consumer`,
      args,
      { ...env, NEST_RMQ_ROLE: 'consumer', DATABASE_URL: stockDbInfo.url },
      dir,
    );
    const orders = await ServiceProcess.create(`nest-rmq-${setting}-orders`, args, { ...env, NEST_RMQ_ROLE: 'orders', DATABASE_URL: ordersDbInfo.url }, dir);
    cleanups.push(
      () => consumer.stop(),
      () => orders.stop(),
    );
    await Promise.all([consumer.start(), orders.start()]);

    const ordersDb = sqlPool(ordersDbInfo.url);
    const stockDb = sqlPool(stockDbInfo.url);
    cleanups.push(
      () => ordersDb.end(),
      () => stockDb.end(),
    );
    return new NestRmqSystem(`nestRmq:${setting}`, orders, consumer, node, ordersDb, stockDb, cleanUp);
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

class NestRmqSystem implements SystemUnderTest {
  readonly queue: SystemUnderTest['queue'];

  constructor(
    readonly name: string,
    readonly orders: ServiceProcess,
    readonly consumer: ServiceProcess,
    private readonly node: RabbitMqNode,
    readonly ordersDb: Pool,
    readonly stockDb: Pool,
    private readonly cleanUp: () => Promise<unknown>,
  ) {
    this.queue = {
      kill: () => node.kill(),
      start: () => node.start(),
      processGroups: () => (node.processGroup ? [node.processGroup] : []),
    };
  }

  async outcomes(ids: string[]): Promise<Outcomes> {
    const { rows } = await this.ordersDb.query<{ found: number; pending: number }>(
      `SELECT count(*)::int AS found, count(*) FILTER (WHERE status = 'PENDING')::int AS pending FROM orders WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    // One application inserts one row per line (distinct skus); more rows than skus is a second application.
    const { rows: twice } = await this.stockDb.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT order_id FROM reservations WHERE order_id = ANY($1::uuid[])
         GROUP BY order_id HAVING count(*) > count(DISTINCT sku)) applied_twice`,
      [ids],
    );
    const { found, pending } = rows[0];
    return { settled: found - pending, pending, appliedTwice: twice[0].n, missing: new Set(ids).size - found };
  }

  /**
   * Both queues hold nothing ready and nothing unacknowledged, and nothing changed in the
   * databases meanwhile. The second part matters for the defaults (`noAck: true`): the broker
   * forgets a message once delivered, so a backlog the consumer holds in memory is invisible to it.
   */
  async idle(): Promise<boolean> {
    if (!this.node.running) return false;
    const before = await this.progress();
    let listing: string;
    try {
      listing = await this.node.cli('rabbitmqctl', ['list_queues', '-q', '--no-table-headers', 'name', 'messages_ready', 'messages_unacknowledged'], 30_000);
    } catch {
      return false;
    }
    const queues = new Map(
      listing
        .trim()
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => {
          const [name, ready, unacked] = line.trim().split(/\s+/);
          return [name, Number(ready) + Number(unacked)] as const;
        }),
    );
    // A queue not declared yet (its declarer down, a non-durable queue lost with the broker) holds nothing.
    if ((queues.get(ORDERS_QUEUE) ?? 0) > 0 || (queues.get(RESULTS_QUEUE) ?? 0) > 0) return false;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    return before === (await this.progress());
  }

  private async progress(): Promise<string> {
    const [{ rows: orders }, { rows: stock }] = await Promise.all([
      this.ordersDb.query<{ n: string }>(`SELECT count(*) FILTER (WHERE status <> 'PENDING') || '/' || count(*) AS n FROM orders`),
      this.stockDb.query<{ n: string }>(`SELECT count(*)::text AS n FROM reservations`),
    ]);
    return `${orders[0].n} ${stock[0].n}`;
  }

  async close(): Promise<void> {
    await this.cleanUp();
  }
}
