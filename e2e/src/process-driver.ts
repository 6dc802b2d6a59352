import { createDatabase, createVhost, freePort, RabbitMqNode, sqlPool, TcpProxy, waitUntilReady } from '@shop/testing';
import { connect, type ChannelModel } from 'amqplib';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Pool } from 'pg';
import type { AppService, Database, Service, SystemDriver, SystemOptions } from './driver';

const REPO = resolve(__dirname, '../..');

interface AppSpec {
  main: string;
  database: Database;
}

const APPS: Record<AppService, AppSpec> = {
  'order-service': { main: 'apps/order-service/dist/main.js', database: 'orders' },
  'inventory-service': { main: 'apps/inventory-service/dist/main.js', database: 'inventory' },
};

interface RunningApp {
  port: number;
  env: NodeJS.ProcessEnv;
  /** The service reaches PostgreSQL through this proxy, so a scenario can cut the link. */
  databaseProxy: TcpProxy;
  logFile: string;
  child: ChildProcess | null;
}

/**
 * The shop as child processes (`node apps/<service>/dist/main.js`) on this machine's PostgreSQL
 * and RabbitMQ: fresh databases and a fresh vhost per run, or a RabbitMQ node of its own when the
 * scenario kills the broker. Logs go to files in a temporary folder.
 */
export class ProcessDriver implements SystemDriver {
  readonly name = 'process';
  private dir = '';
  private databases: Partial<Record<Database, Awaited<ReturnType<typeof createDatabase>>>> = {};
  private pools: Partial<Record<Database, Pool>> = {};
  private brokerUrl = '';
  private removeVhost: (() => Promise<void>) | null = null;
  private rabbitmq: RabbitMqNode | null = null;
  private readonly apps: Partial<Record<AppService, RunningApp>> = {};

  constructor(private readonly options: SystemOptions = {}) {}

  async start(): Promise<void> {
    for (const { main } of Object.values(APPS)) {
      if (!existsSync(join(REPO, main))) throw new Error(`${main} is missing: run \`pnpm build\` at the repository root first`);
    }
    this.dir = mkdtempSync(join(tmpdir(), 'shop-e2e-'));
    const [orders, inventory] = await Promise.all([createDatabase('e2e_orders'), createDatabase('e2e_inventory')]);
    this.databases = { orders, inventory };
    this.pools = { orders: sqlPool(orders.url), inventory: sqlPool(inventory.url) };

    if (this.options.ownBroker) {
      this.rabbitmq = new RabbitMqNode(join(this.dir, 'rabbitmq'));
      await this.rabbitmq.start();
      this.brokerUrl = this.rabbitmq.url;
    } else {
      const vhost = await createVhost('e2e');
      this.brokerUrl = vhost.url;
      this.removeVhost = vhost.remove;
    }

    await Promise.all((Object.keys(APPS) as AppService[]).map((service) => this.launch(service)));
  }

  async stop(): Promise<void> {
    await Promise.allSettled((Object.keys(this.apps) as AppService[]).map((service) => this.stopService(service)));
    await Promise.allSettled(Object.values(this.apps).map((app) => app.databaseProxy.stop()));
    await Promise.allSettled(Object.values(this.pools).map((pool) => pool.end()));
    await this.rabbitmq?.stop();
    await this.removeVhost?.().catch(() => undefined);
    await Promise.allSettled(Object.values(this.databases).map((database) => database.drop()));
    if (this.dir && !process.env.E2E_KEEP_LOGS) rmSync(this.dir, { recursive: true, force: true });
  }

  async kill(service: Service): Promise<void> {
    if (service === 'rabbitmq') return this.ownBroker().kill();
    await this.signal(service, 'SIGKILL');
  }

  async stopService(service: Service): Promise<void> {
    if (service === 'rabbitmq') return this.ownBroker().stop();
    await this.signal(service, 'SIGTERM');
  }

  async startService(service: Service): Promise<void> {
    if (service === 'rabbitmq') return this.ownBroker().start();
    const app = this.app(service);
    if (app.child) throw new Error(`${service} is already running`);
    this.spawn(service, app);
    await waitUntilReady(this.url(service), service);
  }

  async cutDatabase(service: AppService): Promise<void> {
    this.app(service).databaseProxy.cut();
  }

  async restoreDatabase(service: AppService): Promise<void> {
    this.app(service).databaseProxy.restore();
  }

  url(service: AppService): string {
    return `http://127.0.0.1:${this.app(service).port}`;
  }

  sql(database: Database): Pool {
    const pool = this.pools[database];
    if (!pool) throw new Error('the system is not started');
    return pool;
  }

  amqp(): Promise<ChannelModel> {
    return connect(this.brokerUrl);
  }

  async logTail(service: Service, lines = 40): Promise<string> {
    const file = service === 'rabbitmq' ? this.rabbitmq?.logFile : this.apps[service]?.logFile;
    if (!file || !existsSync(file)) return '(no log)';
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  private async launch(service: AppService): Promise<void> {
    const database = new URL(this.databases[APPS[service].database]!.url);
    const databaseProxy = new TcpProxy(database.hostname, Number(database.port || 5432));
    const proxyPort = await databaseProxy.start();
    database.hostname = '127.0.0.1';
    database.port = String(proxyPort);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      // Nothing here scrapes; a fixed metrics port would collide between runs sharing the machine.
      METRICS_PORT: '0',
      DATABASE_URL: database.toString(),
      RABBITMQ_URL: this.brokerUrl,
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    };
    const app: RunningApp = { port, env, databaseProxy, logFile: join(this.dir, `${service}.log`), child: null };
    this.apps[service] = app;
    this.spawn(service, app);
    await waitUntilReady(this.url(service), service);
  }

  private spawn(service: AppService, app: RunningApp): void {
    const log = openSync(app.logFile, 'a');
    const child = spawn(process.execPath, [join(REPO, APPS[service].main)], { env: app.env, cwd: REPO, stdio: ['ignore', log, log] });
    closeSync(log);
    child.once('exit', () => {
      if (app.child === child) app.child = null;
    });
    app.child = child;
  }

  private async signal(service: AppService, signal: NodeJS.Signals): Promise<void> {
    const child = this.app(service).child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const escalate = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(escalate);
  }

  private app(service: AppService): RunningApp {
    const app = this.apps[service];
    if (!app) throw new Error(`${service} was never started`);
    return app;
  }

  private ownBroker(): RabbitMqNode {
    if (!this.rabbitmq) throw new Error('this system shares the machine broker; start it with { ownBroker: true } to stop or kill the broker');
    return this.rabbitmq;
  }
}
