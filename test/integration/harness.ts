import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MetricsServer } from '../../libs/platform/src/metrics';
import { TOPOLOGY, withRetryPolicy, type Service } from '@shop/contracts';
import { declareTopology } from '@shop/messaging';
import { createDatabase, createVhost, TcpProxy } from '@shop/testing';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { Pool } from 'pg';
import { createInventoryService } from '../../apps/inventory-service/src/app';
import { loadInventoryServiceConfig } from '../../apps/inventory-service/src/config';
import { createOrderService } from '../../apps/order-service/src/app';
import { loadOrderServiceConfig } from '../../apps/order-service/src/config';
import { createNotificationService } from '../../apps/notification-service/src/app';
import { loadNotificationServiceConfig } from '../../apps/notification-service/src/config';
import { SmtpCatcher } from '../../apps/notification-service/test/smtp-catcher';
import { createPaymentService } from '../../apps/payment-service/src/app';
import { loadPaymentServiceConfig } from '../../apps/payment-service/src/config';
import { startPaymentProvider, type PaymentProvider } from '@shop/payment-provider';
import { openApiChecker, recordRoutes, type RouteKey } from './openapi-contract';

export const ADMIN_TOKEN = 'integration-test-admin-token';
/** The secret key payment-service calls the provider stand-in with in these tests. */
export const PROVIDER_API_KEY = 'sk_test_integration';
/** Signs the order service's sign-in links in these tests (a real deployment keeps its own in a secret). */
export const SIGN_IN_SECRET = 'integration-test-sign-in-secret-of-32-or-more-characters';
/** Makes the orders' cancel tokens in these tests (the same for every replica and restart, as in a deployment). */
export const CANCEL_TOKEN_SECRET = 'integration-test-cancel-token-secret-of-32-or-more-characters';
const DEFAULT_RETRY_DELAYS_MS = [200, 500];
const DEFAULT_MAX_ATTEMPTS = 3;

export interface HarnessOptions {
  /** Retry delays for failed messages (short, so retry tests run in seconds). */
  retryDelaysMs?: number[];
  maxAttempts?: number;
  /** Extra variables for the order service (low rate limits, a short link lifetime). */
  orderServiceEnv?: NodeJS.ProcessEnv;
}

/**
 * The shop for one test file: its own `orders` and `inventory` databases and its own vhost on the
 * machine's real PostgreSQL and RabbitMQ, with both services started in-process on free ports.
 */
export class ShopHarness {
  orderService: NestFastifyApplication | null = null;
  inventoryService: NestFastifyApplication | null = null;
  /** Runs from `create` to `dispose` unless a test stops it: orders are confirmed only once paid. */
  paymentService: NestFastifyApplication | null = null;
  orderUrl = '';
  inventoryUrl = '';
  paymentUrl = '';
  /** The card processor's stand-in, in this process on its own database. */
  provider: PaymentProvider | null = null;
  readonly orders: Pool;
  readonly inventory: Pool;
  readonly payments: Pool;
  private amqp: ChannelModel | null = null;
  private notifications: { app: NestFastifyApplication; db: Awaited<ReturnType<typeof createDatabase>>; smtp: SmtpCatcher } | null = null;
  /** Every route each service registered, in any start of it (`GET /api/orders/{id}`), for the OpenAPI contract test. */
  readonly routes: Record<Service, Set<RouteKey>> = {
    'order-service': new Set(),
    'inventory-service': new Set(),
    'notification-service': new Set(),
    'payment-service': new Set(),
  };

  private constructor(
    private readonly ordersDb: Awaited<ReturnType<typeof createDatabase>>,
    private readonly inventoryDb: Awaited<ReturnType<typeof createDatabase>>,
    private readonly paymentsDb: Awaited<ReturnType<typeof createDatabase>>,
    private readonly providerDb: Awaited<ReturnType<typeof createDatabase>>,
    readonly vhost: Awaited<ReturnType<typeof createVhost>>,
    private readonly options: HarnessOptions,
  ) {
    this.orders = new Pool({ connectionString: ordersDb.url, max: 4 });
    this.inventory = new Pool({ connectionString: inventoryDb.url, max: 4 });
    this.payments = new Pool({ connectionString: paymentsDb.url, max: 2 });
  }

  /**
   * Databases migrated and seeded (each service started once); the provider stand-in and
   * payment-service running (a test stops them to see orders wait), order and inventory services not.
   */
  static async create(options: HarnessOptions = {}): Promise<ShopHarness> {
    const [ordersDb, inventoryDb, paymentsDb, providerDb, vhost] = await Promise.all([
      createDatabase('orders_it'),
      createDatabase('inventory_it'),
      createDatabase('payments_it'),
      createDatabase('provider_it'),
      createVhost('shop-it'),
    ]);
    const shop = new ShopHarness(ordersDb, inventoryDb, paymentsDb, providerDb, vhost, options);
    await shop.declareWholeTopology();
    // One after the other: two Nest apps bootstrapping at once in one process can stall.
    await shop.startOrderService();
    await shop.startInventoryService();
    await shop.stopOrderService();
    await shop.stopInventoryService();
    await shop.startProvider();
    await shop.startPaymentService();
    return shop;
  }

  /** The card processor's stand-in on a free port (its state is in its own database, so a restart keeps it). */
  async startProvider(): Promise<void> {
    this.provider = await startPaymentProvider({ port: 0, databaseUrl: this.providerDb.url, apiKey: PROVIDER_API_KEY, hangMs: 3_000, logLevel: 'silent' });
  }

  async stopProvider(): Promise<void> {
    await this.provider?.close();
    this.provider = null;
  }

  async startPaymentService(): Promise<void> {
    if (!this.provider) throw new Error('start the provider first: payment-service needs its URL');
    const app = await createPaymentService(
      loadPaymentServiceConfig({
        ...this.serviceEnv(this.paymentsDb.url, this.vhost.url),
        ADMIN_TOKEN,
        PAYMENT_PROVIDER_URL: this.provider.url,
        PAYMENT_PROVIDER_API_KEY: PROVIDER_API_KEY,
        PAYMENT_PROVIDER_TIMEOUT_MS: '1000',
      }),
      { plugins: recordRoutes(this.routes['payment-service']) },
    );
    await app.listen(0, '127.0.0.1');
    this.paymentService = app;
    this.paymentUrl = await app.getUrl();
    openApiChecker().started('payment-service', this.paymentUrl);
  }

  async stopPaymentService(): Promise<void> {
    await this.paymentService?.close();
    this.paymentService = null;
  }

  /** Every money movement the provider recorded for an order (authorize, capture, void, refund), oldest first. */
  async ledgerOf(orderId: string): Promise<{ kind: string; amountCents: number }[]> {
    if (!this.provider) throw new Error('the provider is not running');
    const response = await fetch(`${this.provider.url}/v1/ledger?reference=${orderId}`, { headers: { authorization: `Bearer ${PROVIDER_API_KEY}` } });
    return ((await response.json()) as { kind: string; amountCents: number }[]).map(({ kind, amountCents }) => ({ kind, amountCents }));
  }

  /**
   * Declares every queue of the route table, as the broker definitions of compose and Kubernetes do:
   * a lifecycle event is published mandatory, so its receivers' queues must exist even when those
   * receivers (notification-service) do not run in a test.
   */
  private async declareWholeTopology(): Promise<void> {
    const channel = await this.channel();
    try {
      await declareTopology(
        channel,
        withRetryPolicy(TOPOLOGY, this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS, this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
      );
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** The URL of one of this harness's databases (for a second replica of a service). */
  databaseUrl(database: 'orders' | 'inventory'): string {
    return database === 'orders' ? this.ordersDb.url : this.inventoryDb.url;
  }

  /** The environment the harness starts a service with. */
  serviceEnv(database: string, brokerUrl: string): NodeJS.ProcessEnv {
    return {
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      DATABASE_URL: database,
      RABBITMQ_URL: brokerUrl,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
      RETRY_DELAYS_MS: (this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS).join(','),
      MAX_ATTEMPTS: String(this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
      OUTBOX_POLL_INTERVAL_MS: '200',
    };
  }

  /** Starts the order service; `brokerUrl` and `databaseUrl` let a test route it through a TcpProxy. */
  async startOrderService(brokerUrl = this.vhost.url, databaseUrl = this.ordersDb.url): Promise<void> {
    const app = await createOrderService(
      loadOrderServiceConfig({
        ...this.serviceEnv(databaseUrl, brokerUrl),
        ADMIN_TOKEN,
        SIGN_IN_SECRET,
        CANCEL_TOKEN_SECRET,
        // For stuck orders' reasons and timelines, when inventory and payments run (started first).
        ...(this.inventoryUrl && { INVENTORY_URL: this.inventoryUrl }),
        ...(this.paymentUrl && { PAYMENT_URL: this.paymentUrl }),
        ...this.options.orderServiceEnv,
      }),
      { plugins: recordRoutes(this.routes['order-service']) },
    );
    await app.listen(0, '127.0.0.1');
    this.orderService = app;
    this.orderUrl = await app.getUrl();
    openApiChecker().started('order-service', this.orderUrl);
  }

  async stopOrderService(): Promise<void> {
    await this.orderService?.close();
    this.orderService = null;
  }

  /** Starts the inventory service; `databaseUrl` and `brokerUrl` let a test route it through a TcpProxy. */
  async startInventoryService(databaseUrl = this.inventoryDb.url, brokerUrl = this.vhost.url): Promise<void> {
    const app = await createInventoryService(loadInventoryServiceConfig({ ...this.serviceEnv(databaseUrl, brokerUrl), ADMIN_TOKEN }), {
      plugins: recordRoutes(this.routes['inventory-service']),
    });
    await app.listen(0, '127.0.0.1');
    this.inventoryService = app;
    this.inventoryUrl = await app.getUrl();
    openApiChecker().started('inventory-service', this.inventoryUrl);
  }

  /** Base URL of a running service's Prometheus endpoint (its own port, apart from the API). */
  metricsUrl(service: 'order' | 'inventory'): string {
    const app = service === 'order' ? this.orderService : this.inventoryService;
    if (!app) throw new Error(`${service} service is not running`);
    return app.get(MetricsServer).url;
  }

  async stopInventoryService(): Promise<void> {
    await this.inventoryService?.close();
    this.inventoryService = null;
  }

  /** A channel on this harness's vhost, for inspecting and publishing as a test. */
  async channel(): Promise<Channel> {
    this.amqp ??= await connect(this.vhost.url);
    const channel = await this.amqp.createChannel();
    channel.on('error', () => undefined);
    return channel;
  }

  /**
   * The dead letters a service took from its queues' dead-letter queues into its database (it drains
   * them: the queues are only the buffer while it is down), oldest failure first.
   */
  async deadLetters(
    database: 'orders' | 'inventory' | 'payments',
  ): Promise<{ messageId: string; queue: string; reason: string; errorClass: string; orderId: string | null; headers: Record<string, unknown> }[]> {
    const { rows } = await (database === 'orders' ? this.orders : database === 'payments' ? this.payments : this.inventory).query(
      `SELECT message_id AS "messageId", queue, reason, error_class AS "errorClass", payload->>'orderId' AS "orderId", headers
       FROM dead_letters ORDER BY last_failed_at, taken_at`,
    );
    return rows;
  }

  /** Every dead letter of a queue: still in its dead-letter queue, or kept in its consumer's database. */
  async deadLettersOf(queue: string): Promise<number> {
    const pool = queue.startsWith('orders.') ? this.orders : queue.startsWith('payments.') ? this.payments : this.inventory;
    const { rows } = await pool.query<{ count: number }>(`SELECT count(*)::int AS count FROM dead_letters WHERE queue = $1`, [queue]);
    return (await this.queueDepth(`${queue}.dlq`)) + rows[0].count;
  }

  async queueDepth(queue: string): Promise<number> {
    const channel = await this.channel();
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** A proxy to the broker that the test can cut, and the vhost URL through it. */
  brokerProxy(): Promise<{ proxy: TcpProxy; url: string }> {
    return proxied(this.vhost.url, 5672);
  }

  /** A proxy to the orders database that the test can cut or freeze, and the database URL through it. */
  ordersDatabaseProxy(): Promise<{ proxy: TcpProxy; url: string }> {
    return proxied(this.ordersDb.url, 5432);
  }

  /** A proxy to the inventory database that the test can cut, and the database URL through it. */
  inventoryDatabaseProxy(): Promise<{ proxy: TcpProxy; url: string }> {
    return proxied(this.inventoryDb.url, 5432);
  }

  async placeOrder(
    body: unknown,
    idempotencyKey: string | null = crypto.randomUUID(),
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const response = await fetch(`${this.orderUrl}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}), ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => null), headers: response.headers };
  }

  async orderStatus(id: string): Promise<string> {
    const { rows } = await this.orders.query<{ status: string }>(`SELECT status FROM orders WHERE id = $1`, [id]);
    return rows[0]?.status;
  }

  async available(sku: string): Promise<number> {
    const { rows } = await this.inventory.query<{ available: number }>(`SELECT available FROM stock WHERE sku = $1`, [sku]);
    return rows[0].available;
  }

  /**
   * notification-service on a throwaway database of its own and this vhost, sending to a real SMTP
   * server (SmtpCatcher) started for it; `dispose` stops both. Returns its URL and the catcher.
   */
  async startNotificationService(): Promise<{ url: string; smtp: SmtpCatcher }> {
    const db = await createDatabase('notifications_it');
    const smtp = new SmtpCatcher();
    await smtp.start();
    const app = await createNotificationService(
      loadNotificationServiceConfig({ ...this.serviceEnv(db.url, this.vhost.url), SMTP_URL: smtp.url, SHOP_URL: 'https://shop.example', ADMIN_TOKEN }),
      { plugins: recordRoutes(this.routes['notification-service']) },
    );
    await app.listen(0, '127.0.0.1');
    this.notifications = { app, db, smtp };
    const url = await app.getUrl();
    openApiChecker().started('notification-service', url);
    return { url, smtp };
  }

  async dispose(): Promise<void> {
    if (this.notifications) {
      await this.notifications.app.close();
      await this.notifications.smtp.stop();
      await this.notifications.db.drop();
      this.notifications = null;
    }
    await this.stopOrderService();
    await this.stopInventoryService();
    await this.stopPaymentService();
    await this.stopProvider();
    await this.amqp?.close().catch(() => undefined);
    await Promise.all([this.orders.end(), this.inventory.end(), this.payments.end()]);
    await Promise.all([this.ordersDb.drop(), this.inventoryDb.drop(), this.paymentsDb.drop(), this.providerDb.drop(), this.vhost.remove()]);
  }
}

async function proxied(target: string, defaultPort: number): Promise<{ proxy: TcpProxy; url: string }> {
  const url = new URL(target);
  const proxy = new TcpProxy(url.hostname, Number(url.port || defaultPort));
  url.hostname = '127.0.0.1';
  url.port = String(await proxy.start());
  return { proxy, url: url.toString() };
}

/** An order body; its card token is the provider's test card that is always authorized. */
export const anOrder = (lines: { sku: string; quantity: number }[], email = 'ada@example.com', paymentToken = 'tok_success') => ({
  customer: { name: 'Ada Lovelace', email },
  lines,
  payment: { token: paymentToken },
});
