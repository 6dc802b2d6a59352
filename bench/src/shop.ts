import { QUEUES } from '@shop/contracts';
import { createDatabase, createVhost, sqlPool, waitFor } from '@shop/testing';
import { connect, type ChannelModel } from 'amqplib';
import { resolve } from 'node:path';
import type { Pool } from 'pg';
import { round } from './load';
import { ServiceProcess } from './processes';

/** Where the built services are: this repository, or another checkout (BENCH_APPS_DIR) to compare a change. */
const APPS_DIR = resolve(process.env.BENCH_APPS_DIR ?? resolve(__dirname, '../..'));

/** Service knobs passed through from the bench's environment, to measure a setting without editing code. */
const KNOBS = ['CONSUMER_PREFETCH', 'OUTBOX_BATCH_SIZE', 'OUTBOX_POLL_INTERVAL_MS', 'DATABASE_POOL_SIZE', 'INTAKE_BATCH_MAX'];

export const BENCH_STOCK = 10_000_000;

type Db = Awaited<ReturnType<typeof createDatabase>>;

/** A broker of the bench's own (a private node, a cluster): one AMQP URL per node, for a vhost the shop may use fully. */
export interface ShopBroker {
  urls: string[];
  /** The process groups of its nodes now running, to measure its CPU alone. */
  processGroups(): number[];
}

/**
 * The decoupled shop (order-service and inventory-service) on fresh databases and a fresh vhost
 * of the machine's broker, or on `broker` when given.
 */
export class Shop {
  private constructor(
    readonly orders: ServiceProcess,
    readonly inventory: ServiceProcess,
    readonly ordersDb: Pool,
    readonly inventoryDb: Pool,
    readonly ordersDbName: string,
    readonly brokerUrl: string,
    /** Every node's URL, as the services get them in RABBITMQ_URL. */
    readonly brokerUrls: string[],
    /** The bench's own broker, when the shop runs on one. */
    readonly broker: ShopBroker | undefined,
    private readonly cleanups: (() => Promise<unknown>)[],
  ) {}

  static async start(logDir: string, broker?: ShopBroker): Promise<Shop> {
    const cleanups: (() => Promise<unknown>)[] = [];
    try {
      const [ordersDb, inventoryDb] = await Promise.all([createDatabase('bench_orders'), createDatabase('bench_inventory')]);
      cleanups.push(ordersDb.drop, inventoryDb.drop);
      let urls = broker?.urls;
      if (!urls) {
        const vhost = await createVhost('bench');
        cleanups.push(vhost.remove);
        urls = [vhost.url];
      }
      const env = (db: Db): NodeJS.ProcessEnv => ({
        NODE_ENV: 'production',
        DATABASE_URL: db.url,
        RABBITMQ_URL: urls.join(','),
        LOG_LEVEL: 'warn',
        ADMIN_TOKEN: 'bench-admin-token-0123456789',
        ...Object.fromEntries(KNOBS.filter((knob) => process.env[knob]).map((knob) => [knob, process.env[knob]])),
      });
      // BENCH_CPU_PROF=<dir>: each service writes a V8 CPU profile there when it stops.
      const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROF)}`] : [];
      const orders = await ServiceProcess.create('order-service', [...profile, resolve(APPS_DIR, 'apps/order-service/dist/main.js')], env(ordersDb), logDir);
      const inventory = await ServiceProcess.create(
        'inventory-service',
        [...profile, resolve(APPS_DIR, 'apps/inventory-service/dist/main.js')],
        env(inventoryDb),
        logDir,
      );
      const ordersPool = sqlPool(ordersDb.url);
      const inventoryPool = sqlPool(inventoryDb.url);
      cleanups.unshift(
        () => ordersPool.end(),
        () => inventoryPool.end(),
      );
      const shop = new Shop(orders, inventory, ordersPool, inventoryPool, ordersDb.name, urls[0], urls, broker, cleanups);
      cleanups.unshift(
        () => orders.stop(),
        () => inventory.stop(),
      );
      await Promise.all([orders.start(), inventory.start()]);
      // Enough stock that every benchmark measures reservations, not rejections.
      await inventoryPool.query(`UPDATE stock SET available = $1`, [BENCH_STOCK]);
      return shop;
    } catch (err) {
      for (const cleanup of cleanups) await cleanup().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    for (const cleanup of this.cleanups) await cleanup().catch((err: Error) => console.error(`cleanup: ${err.message}`));
  }

  unpublished(): Promise<number> {
    return count(this.ordersDb, `SELECT count(*) FROM outbox WHERE published_at IS NULL`);
  }

  pendingOrders(email: string): Promise<number> {
    return count(this.ordersDb, `SELECT count(*) FROM orders WHERE customer_email = $1 AND status = 'PENDING'`, [email]);
  }

  /**
   * Back to a quiet system between measurements: the relay has published everything, then the
   * queues are purged, so one run's backlog does not load the next. Purged orders stay PENDING.
   */
  async quiesce(): Promise<void> {
    await waitFor(async () => (await this.unpublished()) === 0, { timeoutMs: 120_000, intervalMs: 200, what: 'the order outbox to be published' });
    if (this.inventory.running) {
      await waitFor(async () => (await count(this.inventoryDb, `SELECT count(*) FROM outbox WHERE published_at IS NULL`)) === 0, {
        timeoutMs: 120_000,
        intervalMs: 200,
        what: 'the inventory outbox to be published',
      });
    }
    const connection = await this.amqp();
    try {
      const channel = await connection.createChannel();
      for (const queue of [QUEUES.inventoryOrderPlaced, QUEUES.ordersStockResults]) await channel.purgeQueue(queue);
    } finally {
      await connection.close();
    }
  }

  /** POST → final status of the orders tagged `email`, from their own timestamps (ms). */
  async confirmationLatency(email: string): Promise<{ confirmed: number; p50ms: number; p99ms: number; maxMs: number }> {
    const { rows } = await this.ordersDb.query<{ p50: number; p99: number; max: number; confirmed: string }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max,
              count(*) FILTER (WHERE status = 'CONFIRMED') AS confirmed
       FROM (SELECT status, extract(epoch FROM updated_at - created_at) * 1000 AS ms FROM orders WHERE customer_email = $1) latencies`,
      [email],
    );
    return { confirmed: Number(rows[0].confirmed), p50ms: round(rows[0].p50, 1), p99ms: round(rows[0].p99, 1), maxMs: round(rows[0].max, 1) };
  }

  /** A connection to the first node that answers (one may be down). */
  private async amqp(): Promise<ChannelModel> {
    let failure: unknown;
    for (const url of this.brokerUrls) {
      try {
        return await connect(url);
      } catch (err) {
        failure = err;
      }
    }
    throw failure;
  }
}

export async function count(pool: Pool, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ count: string }>(sql, params);
  return Number(rows[0].count);
}
