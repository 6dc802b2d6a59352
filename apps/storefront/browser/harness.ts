/**
 * Runs the real shop for the browser suite: two fresh PostgreSQL databases and a fresh RabbitMQ vhost
 * (so runs never see each other's orders or messages), the built order-service and inventory-service
 * as child processes, and the built storefront behind `vite preview` proxying to them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, createVhost, freePort } from '@shop/testing';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const STOREFRONT_DIR = join(REPO_ROOT, 'apps/storefront');

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_LINES_KEPT = 200;

export interface ShopStack {
  /** The storefront, as a shopper opens it. */
  shopUrl: string;
  orderServiceUrl: string;
  inventoryServiceUrl: string;
  /** SIGTERM to inventory-service, resolved once it has exited. */
  stopInventory(): Promise<void>;
  /** Starts inventory-service again on the same port, resolved once it is ready. */
  startInventory(): Promise<void>;
  /** Stops every process, then drops the databases and the vhost. */
  stop(): Promise<void>;
}

export async function startShopStack(): Promise<ShopStack> {
  const builds = ['apps/order-service/dist/main.js', 'apps/inventory-service/dist/main.js', 'apps/storefront/dist/index.html'];
  const missing = builds.filter((path) => !existsSync(join(REPO_ROOT, path)));
  if (missing.length > 0) throw new Error(`Build first (pnpm -r build): missing ${missing.join(', ')}`);

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
    const vhost = await createVhost('shop-browser');
    cleanups.push(vhost.remove);

    const [orderPort, inventoryPort, shopPort] = [await freePort(), await freePort(), await freePort()];
    const serviceEnv = (databaseUrl: string, port: number) => ({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      RABBITMQ_URL: vhost.url,
      LOG_LEVEL: 'warn',
    });
    const orderService = new ServiceProcess('order-service', process.execPath, ['dist/main.js'], {
      cwd: join(REPO_ROOT, 'apps/order-service'),
      env: serviceEnv(ordersDb.url, orderPort),
      readyUrl: `http://127.0.0.1:${orderPort}/health/ready`,
    });
    const inventoryService = new ServiceProcess('inventory-service', process.execPath, ['dist/main.js'], {
      cwd: join(REPO_ROOT, 'apps/inventory-service'),
      env: serviceEnv(inventoryDb.url, inventoryPort),
      readyUrl: `http://127.0.0.1:${inventoryPort}/health/ready`,
    });
    const orderServiceUrl = `http://127.0.0.1:${orderPort}`;
    const inventoryServiceUrl = `http://127.0.0.1:${inventoryPort}`;
    const storefront = new ServiceProcess(
      'storefront',
      process.execPath,
      [viteBin(), 'preview', '--host', '127.0.0.1', '--port', String(shopPort), '--strictPort'],
      {
        cwd: STOREFRONT_DIR,
        env: { ORDER_URL: orderServiceUrl, INVENTORY_URL: inventoryServiceUrl },
        readyUrl: `http://127.0.0.1:${shopPort}/`,
      },
    );

    cleanups.push(() => orderService.stop());
    cleanups.push(() => inventoryService.stop());
    cleanups.push(() => storefront.stop());
    // Services start one after the other: two NestJS boots plus migrations at once crowd a 2-core machine.
    await orderService.start();
    await inventoryService.start();
    await storefront.start();

    return {
      shopUrl: `http://127.0.0.1:${shopPort}`,
      orderServiceUrl,
      inventoryServiceUrl,
      stopInventory: () => inventoryService.stop(),
      startInventory: () => inventoryService.start(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
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
