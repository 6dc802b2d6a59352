import { QUEUES } from '@shop/contracts';
import { createDatabase, createVhost, sqlPool, waitFor } from '@shop/testing';
import { connect, type ChannelModel } from 'amqplib';
import { resolve } from 'node:path';
import type { Pool } from 'pg';
import { round } from './load';
import { ServiceProcess } from './processes';
import { SmtpSink } from './smtp-sink';

/** Where the built services are: this repository, or another checkout (BENCH_APPS_DIR) to compare a change. */
const APPS_DIR = resolve(process.env.BENCH_APPS_DIR ?? resolve(__dirname, '../..'));

/** Service knobs passed through from the bench's environment, to measure a setting without editing code. */
const KNOBS = [
  'CONSUMER_PREFETCH',
  'OUTBOX_BATCH_SIZE',
  'OUTBOX_POLL_INTERVAL_MS',
  'DATABASE_POOL_SIZE',
  'SMTP_MAX_CONNECTIONS',
  'INTAKE_BATCH_MAX',
  'PAYMENT_CONCURRENCY',
];

export const BENCH_STOCK = 10_000_000;

type Db = Awaited<ReturnType<typeof createDatabase>>;

/** A broker of the bench's own (a private node, a cluster): one AMQP URL per node, for a vhost the shop may use fully. */
export interface ShopBroker {
  urls: string[];
  /** The process groups of its nodes now running, to measure its CPU alone. */
  processGroups(): number[];
}

/** payment-service's key at the provider stand-in (both get it, as e2e's process driver does). */
const PROVIDER_API_KEY = 'sk_test_bench';

/**
 * The decoupled shop as deployed: order-service, inventory-service, payment-service with the
 * payment provider stand-in, and notification-service sending to a local SMTP sink; each on a fresh
 * database, all on one fresh vhost of the machine's broker, or on `broker` when given.
 */
export class Shop {
  private constructor(
    readonly orders: ServiceProcess,
    readonly inventory: ServiceProcess,
    readonly payments: ServiceProcess,
    /** apps/payment-provider: the card processor payment-service calls. */
    readonly provider: ServiceProcess,
    readonly notifications: ServiceProcess,
    readonly ordersDb: Pool,
    readonly inventoryDb: Pool,
    readonly paymentsDb: Pool,
    readonly notificationsDb: Pool,
    readonly ordersDbName: string,
    readonly brokerUrl: string,
    /** Every node's URL, as the services get them in RABBITMQ_URL. */
    readonly brokerUrls: string[],
    /** The bench's own broker, when the shop runs on one. */
    readonly broker: ShopBroker | undefined,
    /** The mail server notification-service sends to. */
    readonly smtp: SmtpSink,
    private readonly cleanups: (() => Promise<unknown>)[],
  ) {}

  /** Every process of the shop, in start order (the provider before payment-service, which calls it). */
  get services(): ServiceProcess[] {
    return [this.orders, this.inventory, this.provider, this.payments, this.notifications];
  }

  static async start(logDir: string, broker?: ShopBroker): Promise<Shop> {
    const cleanups: (() => Promise<unknown>)[] = [];
    try {
      const [ordersDb, inventoryDb, paymentsDb, providerDb, notificationsDb] = await Promise.all(
        ['bench_orders', 'bench_inventory', 'bench_payments', 'bench_payment_provider', 'bench_notifications'].map((name) => createDatabase(name)),
      );
      cleanups.push(ordersDb.drop, inventoryDb.drop, paymentsDb.drop, providerDb.drop, notificationsDb.drop);
      let urls = broker?.urls;
      if (!urls) {
        const vhost = await createVhost('bench');
        cleanups.push(vhost.remove);
        urls = [vhost.url];
      }
      const smtp = await SmtpSink.start();
      cleanups.push(() => smtp.close());
      // As e2e/src/process-driver.ts starts them.
      const env = (db: Db): NodeJS.ProcessEnv => ({
        NODE_ENV: 'production',
        DATABASE_URL: db.url,
        RABBITMQ_URL: urls.join(','),
        LOG_LEVEL: 'warn',
        ADMIN_TOKEN: 'bench-admin-token-0123456789',
        ...Object.fromEntries(KNOBS.filter((knob) => process.env[knob]).map((knob) => [knob, process.env[knob]])),
      });
      // BENCH_CPU_PROF=<dir>: each service writes a V8 CPU profile there when it stops. BENCH_NODE_ARGS: more node flags for
      // every service (e.g. `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=<dir>` for heap snapshots on demand).
      const profile = [
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROF)}`] : []),
        ...(process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []),
      ];
      const service = (name: string, env: NodeJS.ProcessEnv) =>
        ServiceProcess.create(name, [...profile, resolve(APPS_DIR, `apps/${name}/dist/main.js`)], env, logDir);
      const inventory = await service('inventory-service', env(inventoryDb));
      // Not a shop service: no broker, no operators' token.
      const provider = await service('payment-provider', {
        NODE_ENV: 'production',
        PROVIDER_DATABASE_URL: providerDb.url,
        PROVIDER_API_KEY,
        LOG_LEVEL: 'warn',
      });
      const payments = await service('payment-service', { ...env(paymentsDb), PAYMENT_PROVIDER_URL: provider.url, PAYMENT_PROVIDER_API_KEY: PROVIDER_API_KEY });
      const notifications = await service('notification-service', {
        ...env(notificationsDb),
        SMTP_URL: smtp.url,
        MAIL_FROM: 'shop@bench.example',
        SHOP_URL: 'http://shop.bench.example',
      });
      const orders = await service('order-service', {
        ...env(ordersDb),
        INVENTORY_URL: inventory.url,
        NOTIFICATION_URL: notifications.url,
        PAYMENT_URL: payments.url,
      });
      const pools = [ordersDb, inventoryDb, paymentsDb, notificationsDb].map((db) => sqlPool(db.url));
      cleanups.unshift(...pools.map((pool) => () => pool.end()));
      const [ordersPool, inventoryPool, paymentsPool, notificationsPool] = pools;
      const shop = new Shop(
        orders,
        inventory,
        payments,
        provider,
        notifications,
        ordersPool,
        inventoryPool,
        paymentsPool,
        notificationsPool,
        ordersDb.name,
        urls[0],
        urls,
        broker,
        smtp,
        cleanups,
      );
      cleanups.unshift(...shop.services.map((process) => () => process.stop()));
      await Promise.all([orders.start(), inventory.start(), provider.start(), notifications.start()]);
      await payments.start();
      // Enough stock that every benchmark measures reservations, not rejections.
      await inventoryPool.query(`UPDATE stock SET available = $1`, [BENCH_STOCK]);
      return shop;
    } catch (err) {
      for (const cleanup of cleanups) await cleanup().catch(() => undefined);
      throw err;
    }
  }

  /** Every service stopped (e.g. while another system is measured on the machine). */
  async stopAll(): Promise<void> {
    await Promise.all(this.services.map((service) => service.stop()));
  }

  /** Every stopped service started again, the provider before payment-service. */
  async startAll(): Promise<void> {
    const start = (service: ServiceProcess) => (service.running ? Promise.resolve() : service.start());
    await Promise.all([this.orders, this.inventory, this.provider, this.notifications].map(start));
    await start(this.payments);
  }

  async close(): Promise<void> {
    for (const cleanup of this.cleanups) await cleanup().catch((err: Error) => console.error(`cleanup: ${err.message}`));
  }

  unpublished(): Promise<number> {
    return count(this.ordersDb, `SELECT count(*) FROM outbox WHERE published_at IS NULL`);
  }

  /** Orders tagged `email` not final yet: PENDING (awaiting stock) or RESERVED (awaiting payment). */
  pendingOrders(email: string): Promise<number> {
    return count(this.ordersDb, `SELECT count(*) FROM orders WHERE customer_email = $1 AND status IN ('PENDING', 'RESERVED')`, [email]);
  }

  /**
   * Back to a quiet system between measurements: every running service's relay has published
   * everything, then every queue of the deployed topology is purged, so one run's backlog does not
   * load the next. Purged orders stay PENDING or RESERVED, and their emails are not sent.
   */
  async quiesce(): Promise<void> {
    await waitFor(async () => (await this.unpublished()) === 0, { timeoutMs: 120_000, intervalMs: 200, what: 'the order outbox to be published' });
    for (const [service, db] of [
      [this.inventory, this.inventoryDb],
      [this.payments, this.paymentsDb],
    ] as const) {
      if (!service.running) continue;
      await waitFor(async () => (await count(db, `SELECT count(*) FROM outbox WHERE published_at IS NULL`)) === 0, {
        timeoutMs: 120_000,
        intervalMs: 200,
        what: `the ${service.name} outbox to be published`,
      });
    }
    const connection = await this.amqp();
    try {
      const channel = await connection.createChannel();
      for (const queue of Object.values(QUEUES)) await channel.purgeQueue(queue);
    } finally {
      await connection.close();
    }
  }

  /** Messages ready in each queue of the deployed topology and in its dead-letter queue (those not empty). */
  async queueDepths(): Promise<Record<string, number>> {
    const connection = await this.amqp();
    const depths: Record<string, number> = {};
    try {
      const channel = await connection.createChannel();
      for (const queue of Object.values(QUEUES).flatMap((queue) => [queue, `${queue}.dlq`])) {
        const { messageCount } = await channel.checkQueue(queue);
        if (messageCount > 0) depths[queue] = messageCount;
      }
    } finally {
      await connection.close();
    }
    return depths;
  }

  /** POST → final status of the orders tagged `email`, from their own timestamps (ms). */
  async confirmationLatency(email: string): Promise<{ confirmed: number; p50ms: number; p99ms: number; maxMs: number }> {
    const { rows } = await this.ordersDb.query<{ p50: number; p99: number; max: number; confirmed: string }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max,
              count(*) FILTER (WHERE status = 'CONFIRMED') AS confirmed
       FROM (SELECT o.status, extract(epoch FROM coalesce(f.created_at, o.updated_at) - o.created_at) * 1000 AS ms
             FROM orders o
             -- The final status's own event (written in its transaction): the capture after a confirmation updates the order again.
             LEFT JOIN outbox f ON ${outboxRowOf('o', 'f')} AND f.routing_key IN ('order.confirmed', 'order.rejected')
             WHERE o.customer_email = $1) latencies`,
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

/**
 * The join condition of an order (`orders` alias) and its events in order-service's outbox: an
 * order event's correlation id is its order's id, and outbox_correlation_idx finds it. Joined on the
 * payload's orderId instead, PostgreSQL (with no statistics: autovacuum is off on the CI machine)
 * read the whole outbox for each order, 16 s of one core while B12 still waited for emails.
 */
export function outboxRowOf(order: string, outbox: string): string {
  return `${outbox}.headers->>'x-correlation-id' = ${order}.id::text`;
}

export async function count(pool: Pool, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ count: string }>(sql, params);
  return Number(rows[0].count);
}
