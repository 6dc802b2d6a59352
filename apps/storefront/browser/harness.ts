/**
 * Runs the real shop for the browser suite: fresh PostgreSQL databases and a fresh RabbitMQ vhost
 * (so runs never see each other's orders or messages), the built order-service, inventory-service,
 * notification-service and payment-service as child processes, the card processor's stand-in
 * (apps/payment-provider, in this process, on its own database), MailDev (from node_modules) catching
 * the emails (the order emails and the sign-in links), and the built storefront behind `vite preview`
 * proxying to the services and the provider and sending nginx's security headers (vite.config.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LedgerEntry } from '@shop/contracts';
import { createDatabase, createVhost, freePort } from '@shop/testing';
// By path, as test/integration reaches the apps: a workspace dependency would make the storefront image build the provider too.
import { startPaymentProvider } from '../../payment-provider/src/server';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const STOREFRONT_DIR = join(REPO_ROOT, 'apps/storefront');

/** The operators' token the services start with (the /operations page asks for it). */
export const BROWSER_ADMIN_TOKEN = 'browser-suite-admin-token';
/** Signs the emailed sign-in links (at least 32 characters). */
const SIGN_IN_SECRET = 'browser-suite-sign-in-secret-0123456789';

/** The shop's secret key at the provider stand-in (payment-service sends it; the suite reads the ledger with it). */
const PROVIDER_API_KEY = 'sk_test_browser_suite';
/** How long the stand-in holds back the first answer for the tok_hang card: past payment-service's timeout. */
const PROVIDER_HANG_MS = 10_000;

/** PENDING longer than this while the path is healthy is stuck: short, so the repair scenario finds its order stuck in seconds. */
export const BROWSER_STUCK_AFTER_SECONDS = 10;

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_LINES_KEPT = 200;

export interface ShopStack {
  /** The storefront, as a shopper opens it. */
  shopUrl: string;
  orderServiceUrl: string;
  /** order-service's database, for checks no API answers (that an order was not made). */
  ordersDatabaseUrl: string;
  /** inventory-service's database: for a fault switched on from outside the service, and the checks of a repair. */
  inventoryDatabaseUrl: string;
  inventoryServiceUrl: string;
  notificationServiceUrl: string;
  paymentServiceUrl: string;
  /** The card processor's stand-in, as payment-service reaches it (the browser goes through the preview's /payment-provider/). */
  paymentProviderUrl: string;
  /** Every movement of money the provider recorded for an order (GET /v1/ledger?reference=<order id>), oldest first. */
  ledgerOf(orderId: string): Promise<LedgerEntry[]>;
  /** MailDev's web UI, and its REST API under /api (GET /api/email). */
  mailCatcherUrl: string;
  /** Every email MailDev caught so far. */
  caughtEmails(): Promise<CaughtEmail[]>;
  /** The last log lines of notification-service and MailDev, for a failure message. */
  mailLogs(): string;
  /** SIGTERM to inventory-service, resolved once it has exited. */
  stopInventory(): Promise<void>;
  /** Starts inventory-service again on the same port, resolved once it is ready. */
  startInventory(): Promise<void>;
  /** Stops every process, then drops the databases and the vhost. */
  stop(): Promise<void>;
}

/** An email as MailDev's REST API lists it (the fields the tests read). */
export interface CaughtEmail {
  id: string;
  subject: string;
  to: { address: string; name: string }[];
  /** Header names in lower case. */
  headers: Record<string, string | string[]>;
  text: string;
  html: string;
}

export async function startShopStack(): Promise<ShopStack> {
  const builds = [
    'apps/order-service/dist/main.js',
    'apps/inventory-service/dist/main.js',
    'apps/notification-service/dist/main.js',
    'apps/payment-service/dist/main.js',
    'apps/storefront/dist/index.html',
  ];
  const missing = builds.filter((path) => !existsSync(join(REPO_ROOT, path)));
  if (missing.length > 0) throw new Error(`Build first (pnpm -r build): missing ${missing.join(', ')}`);
  const mailDev = mailDevBin();

  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    // Reverse order: processes before the databases and vhost they use.
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error('cleanup failed:', error));
    cleanups.length = 0;
  };

  try {
    // Throwaway databases and vhost on the test PostgreSQL and RabbitMQ (TEST_POSTGRES_URL, TEST_RABBITMQ_URL).
    const ordersDb = await createDatabase('shop_browser_orders');
    cleanups.push(ordersDb.drop);
    const inventoryDb = await createDatabase('shop_browser_inventory');
    cleanups.push(inventoryDb.drop);
    const notificationsDb = await createDatabase('shop_browser_notifications');
    cleanups.push(notificationsDb.drop);
    const paymentsDb = await createDatabase('shop_browser_payments');
    cleanups.push(paymentsDb.drop);
    // The provider is the outside world: its own database, shared with nothing of the shop.
    const providerDb = await createDatabase('shop_browser_provider');
    cleanups.push(providerDb.drop);
    const vhost = await createVhost('shop-browser');
    cleanups.push(vhost.remove);

    const [orderPort, inventoryPort, shopPort] = [await freePort(), await freePort(), await freePort()];
    const [notificationPort, notificationMetricsPort, smtpPort, mailWebPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const [paymentPort, paymentMetricsPort] = [await freePort(), await freePort()];
    const orderServiceUrl = `http://127.0.0.1:${orderPort}`;
    const inventoryServiceUrl = `http://127.0.0.1:${inventoryPort}`;
    const notificationServiceUrl = `http://127.0.0.1:${notificationPort}`;
    const paymentServiceUrl = `http://127.0.0.1:${paymentPort}`;
    const provider = await startProvider(providerDb.url);
    cleanups.push(() => provider.close());
    const serviceEnv = (databaseUrl: string, port: number) => ({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      RABBITMQ_URL: vhost.url,
      LOG_LEVEL: 'warn',
    });
    const orderService = new ServiceProcess('order-service', process.execPath, ['dist/main.js'], {
      cwd: join(REPO_ROOT, 'apps/order-service'),
      env: {
        ...serviceEnv(ordersDb.url, orderPort),
        SIGN_IN_SECRET,
        ADMIN_TOKEN: BROWSER_ADMIN_TOKEN,
        // Every browser request reaches order-service from the preview's proxy, one client address for
        // the whole suite: room for each scenario's links, still a limit that holds.
        SIGN_IN_LINKS_PER_CLIENT: '20',
        SIGN_INS_PER_CLIENT: '40',
        // The stuck orders and the timelines ask the other services for their dead letters and hops.
        INVENTORY_URL: inventoryServiceUrl,
        NOTIFICATION_URL: notificationServiceUrl,
        PAYMENT_URL: paymentServiceUrl,
        ORDER_STUCK_AFTER_SECONDS: String(BROWSER_STUCK_AFTER_SECONDS),
      },
      readyUrl: `http://127.0.0.1:${orderPort}/health/ready`,
    });
    const inventoryService = new ServiceProcess('inventory-service', process.execPath, ['dist/main.js'], {
      cwd: join(REPO_ROOT, 'apps/inventory-service'),
      env: {
        ...serviceEnv(inventoryDb.url, inventoryPort),
        ADMIN_TOKEN: BROWSER_ADMIN_TOKEN,
        // A message that keeps failing reaches the dead letters in about a second. An outage (inventory
        // stopped, its database down) is not an attempt, so the other scenarios see no difference.
        RETRY_DELAYS_MS: '200,500',
        MAX_ATTEMPTS: '3',
      },
      readyUrl: `http://127.0.0.1:${inventoryPort}/health/ready`,
    });
    const shopUrl = `http://127.0.0.1:${shopPort}`;
    const mailCatcherUrl = `http://127.0.0.1:${mailWebPort}`;
    // MailDev keeps each email as a file, by default in a /tmp/maildev shared by every instance: here in the run's own.
    const mailDirectory = mkdtempSync(join(tmpdir(), 'shop-browser-maildev-'));
    cleanups.push(async () => rmSync(mailDirectory, { recursive: true, force: true }));
    const mailCatcher = new ServiceProcess(
      'maildev',
      process.execPath,
      [mailDev, '--smtp', String(smtpPort), '--ip', '127.0.0.1', '--web', String(mailWebPort), '--web-ip', '127.0.0.1', '--mail-directory', mailDirectory],
      { cwd: REPO_ROOT, env: {}, readyUrl: `${mailCatcherUrl}/api/healthz` },
    );
    const notificationService = new ServiceProcess('notification-service', process.execPath, ['dist/main.js'], {
      cwd: join(REPO_ROOT, 'apps/notification-service'),
      env: {
        ...serviceEnv(notificationsDb.url, notificationPort),
        METRICS_PORT: String(notificationMetricsPort),
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        MAIL_FROM: 'orders@shop.test',
        SHOP_URL: shopUrl,
        // Its dead letters and its hops of an order's timeline, for the operators' console.
        ADMIN_TOKEN: BROWSER_ADMIN_TOKEN,
      },
      readyUrl: `http://127.0.0.1:${notificationPort}/health/ready`,
    });
    const paymentService = new ServiceProcess('payment-service', process.execPath, ['dist/main.js'], {
      cwd: join(REPO_ROOT, 'apps/payment-service'),
      env: {
        ...serviceEnv(paymentsDb.url, paymentPort),
        METRICS_PORT: String(paymentMetricsPort),
        PAYMENT_PROVIDER_URL: provider.url,
        PAYMENT_PROVIDER_API_KEY: PROVIDER_API_KEY,
        // Its dead letters and its hops of an order's timeline, for the operators' console.
        ADMIN_TOKEN: BROWSER_ADMIN_TOKEN,
      },
      readyUrl: `${paymentServiceUrl}/health/ready`,
    });
    const storefront = new ServiceProcess(
      'storefront',
      process.execPath,
      [viteBin(), 'preview', '--host', '127.0.0.1', '--port', String(shopPort), '--strictPort'],
      {
        cwd: STOREFRONT_DIR,
        env: {
          ORDER_URL: orderServiceUrl,
          INVENTORY_URL: inventoryServiceUrl,
          NOTIFICATION_URL: notificationServiceUrl,
          PAYMENT_URL: paymentServiceUrl,
          // The browser tokenizes cards at /payment-provider/, which the preview forwards here.
          PAYMENT_PROVIDER_URL: provider.url,
        },
        readyUrl: `http://127.0.0.1:${shopPort}/`,
      },
    );

    cleanups.push(() => orderService.stop());
    cleanups.push(() => inventoryService.stop());
    cleanups.push(() => mailCatcher.stop());
    cleanups.push(() => notificationService.stop());
    cleanups.push(() => paymentService.stop());
    cleanups.push(() => storefront.stop());
    // Services start one after the other: three NestJS boots plus migrations at once crowd a 2-core machine.
    await orderService.start();
    await inventoryService.start();
    await mailCatcher.start();
    await notificationService.start();
    await paymentService.start();
    await storefront.start();

    return {
      shopUrl,
      orderServiceUrl,
      ordersDatabaseUrl: ordersDb.url,
      inventoryDatabaseUrl: inventoryDb.url,
      inventoryServiceUrl,
      notificationServiceUrl,
      paymentServiceUrl,
      paymentProviderUrl: provider.url,
      ledgerOf: async (orderId) => {
        const response = await fetch(`${provider.url}/v1/ledger?reference=${encodeURIComponent(orderId)}`, {
          headers: { authorization: `Bearer ${PROVIDER_API_KEY}` },
        });
        if (!response.ok) throw new Error(`the provider answered ${response.status} to GET /v1/ledger`);
        return (await response.json()) as LedgerEntry[];
      },
      mailCatcherUrl,
      caughtEmails: async () => {
        const response = await fetch(`${mailCatcherUrl}/api/email`);
        if (!response.ok) throw new Error(`MailDev answered ${response.status} to GET /api/email`);
        return (await response.json()) as CaughtEmail[];
      },
      mailLogs: () => `${notificationService.logs()}\n${mailCatcher.logs()}`,
      stopInventory: () => inventoryService.stop(),
      startInventory: () => inventoryService.start(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The card processor's stand-in on a free port, in this process (it is a plain Fastify server, not a shop service). */
async function startProvider(databaseUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  return startPaymentProvider({ host: '127.0.0.1', port: 0, databaseUrl, apiKey: PROVIDER_API_KEY, hangMs: PROVIDER_HANG_MS, logLevel: 'warn' });
}

interface ServiceOptions {
  cwd: string;
  env: Record<string, string>;
  /** Ready once this answers 200. */
  readyUrl: string;
}

/** A child process that can be started, stopped with SIGTERM and started again; keeps its last log lines. */
class ServiceProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly logLines: string[] = [];

  constructor(
    private readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly options: ServiceOptions,
  ) {}

  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const child = spawn(this.command, this.args, {
      cwd: this.options.cwd,
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let exitCode: number | null | undefined;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        exitCode = code;
        this.keep(`[exited with ${signal ?? code}]`);
        this.child = null;
        resolve();
      }),
    );
    child.stdout?.on('data', (chunk: Buffer) => this.keep(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.keep(chunk.toString()));

    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`${this.name} exited while starting:\n${this.logs()}`);
      if (await answers200(this.options.readyUrl)) return;
      await delay(250);
    }
    await this.stop();
    throw new Error(`${this.name} was not ready at ${this.options.readyUrl} after ${READY_TIMEOUT_MS} ms:\n${this.logs()}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(killer);
  }

  logs(): string {
    return this.logLines.map((line) => `  ${this.name} | ${line}`).join('\n');
  }

  private keep(text: string): void {
    this.logLines.push(...text.split('\n').filter(Boolean));
    this.logLines.splice(0, Math.max(0, this.logLines.length - LOG_LINES_KEPT));
  }
}

/** The port is free when asked; nothing else on this machine races for ephemeral ports in practice. */
function viteBin(): string {
  const vitePackage = createRequire(join(STOREFRONT_DIR, 'package.json')).resolve('vite/package.json');
  return join(dirname(vitePackage), 'bin/vite.js');
}

/** MailDev's command-line entry, from the root devDependency `maildev`. */
function mailDevBin(): string {
  // Its package.json is not among its exports, so it is found where pnpm links the root's devDependencies.
  const packageJson = join(REPO_ROOT, 'node_modules/maildev/package.json');
  if (!existsSync(packageJson)) throw new Error('MailDev is not installed: the browser suite runs it from the root devDependency `maildev` (pnpm install)');
  const { bin } = JSON.parse(readFileSync(packageJson, 'utf8')) as { bin: string | Record<string, string> };
  return join(dirname(packageJson), typeof bin === 'string' ? bin : bin.maildev);
}

async function answers200(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
