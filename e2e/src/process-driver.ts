import { TOPOLOGY } from '@shop/contracts';
import { declareTopology } from '@shop/messaging';
import { createDatabase, createVhost, freePort, RabbitMqNode, sqlPool, TcpProxy, waitUntilReady } from '@shop/testing';
import { randomBytes } from 'node:crypto';
import { connect, type ChannelModel } from 'amqplib';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Pool } from 'pg';
import { sharedCluster } from './cluster';
import {
  E2E_ADMIN_TOKEN,
  E2E_PROVIDER_API_KEY,
  type AcceptedEmail,
  type AppService,
  type Database,
  type Service,
  type SystemDriver,
  type SystemOptions,
} from './driver';
import { SmtpCatcher } from './smtp-catcher';

/** order-service's secrets in this run (a deployment keeps its own in a secret store). */
const E2E_CANCEL_TOKEN_SECRET = 'e2e-cancel-token-secret-of-32-or-more-characters';
const E2E_SIGN_IN_SECRET = 'e2e-sign-in-secret-of-32-or-more-characters-too';

const REPO = resolve(__dirname, '../..');

interface AppSpec {
  main: string;
  database: Database;
  /** The variable that names its database: DATABASE_URL for the shop's services. */
  databaseVariable?: string;
  /** Not a shop service (no broker, no operators' token): the payment provider stand-in. */
  outside?: boolean;
}

/** In start order: the provider before payment-service, which calls it. */
const APPS: Record<AppService, AppSpec> = {
  'order-service': { main: 'apps/order-service/dist/main.js', database: 'orders' },
  'inventory-service': { main: 'apps/inventory-service/dist/main.js', database: 'inventory' },
  'notification-service': { main: 'apps/notification-service/dist/main.js', database: 'notifications' },
  'payment-provider': {
    main: 'apps/payment-provider/dist/main.js',
    database: 'payment_provider',
    databaseVariable: 'PROVIDER_DATABASE_URL',
    outside: true,
  },
  'payment-service': { main: 'apps/payment-service/dist/main.js', database: 'payments' },
};

interface RunningApp {
  port: number;
  env: NodeJS.ProcessEnv;
  /** The instance reaches PostgreSQL through this proxy, so a scenario can cut the link. */
  databaseProxy: TcpProxy;
  logFile: string;
  child: ChildProcess | null;
}

/** A broker this run owns or shares: where the services connect, and how a scenario reaches each node. */
interface Broker {
  urls: string[];
  nodes: number;
  kill(node: number): Promise<void>;
  stop(node: number): Promise<void>;
  start(node: number): Promise<void>;
  freeze(node: number): Promise<void>;
  thaw(node: number): Promise<void>;
  quorumQueue(queue: string): Promise<{ leader: number; members: number[] }>;
  logFile(node: number): string | undefined;
  /** Removes what this system created on the broker (its vhost, or a node of its own). */
  dispose(): Promise<void>;
}

/**
 * The shop as child processes (`node apps/<service>/dist/main.js`) on this machine's PostgreSQL
 * and RabbitMQ: fresh databases and a fresh vhost per run; a RabbitMQ node of its own when the
 * scenario kills the broker; a vhost on the file's three-node cluster (see ./cluster) when it asks
 * for three nodes; one or two instances of each service; payment-service and one payment provider
 * stand-in (its own database) always; with `notifications`, notification-service too and an SMTP
 * server of this run (./smtp-catcher). Logs go to files in a temporary folder.
 */
export class ProcessDriver implements SystemDriver {
  readonly name = 'process';
  private dir = '';
  private databases: Partial<Record<Database, Awaited<ReturnType<typeof createDatabase>>>> = {};
  private pools: Partial<Record<Database, Pool>> = {};
  private broker: Broker | null = null;
  private readonly apps: Partial<Record<AppService, RunningApp[]>> = {};
  /** Each instance's HTTP port, chosen before any starts. */
  private readonly ports: Partial<Record<AppService, number[]>> = {};
  private smtp: SmtpCatcher | null = null;

  constructor(private readonly options: SystemOptions = {}) {}

  /** The apps this system runs: notification-service only when asked for. */
  private get services(): AppService[] {
    return (Object.keys(APPS) as AppService[]).filter((service) => service !== 'notification-service' || this.options.notifications);
  }

  async start(): Promise<void> {
    for (const service of this.services) {
      const { main } = APPS[service];
      if (!existsSync(join(REPO, main))) throw new Error(`${main} is missing: run \`pnpm build\` at the repository root first`);
    }
    this.dir = mkdtempSync(join(tmpdir(), 'shop-e2e-'));
    const databases = [...new Set(this.services.map((service) => APPS[service].database))];
    const created = await Promise.all(databases.map((database) => createDatabase(`e2e_${database}`)));
    this.databases = Object.fromEntries(databases.map((database, index) => [database, created[index]]));
    this.pools = Object.fromEntries(databases.map((database, index) => [database, sqlPool(created[index].url)]));
    this.broker = await this.openBroker();
    await this.declareWholeTopology();
    if (this.options.notifications) {
      this.smtp = new SmtpCatcher(this.dir, await freePort());
      await this.smtp.start();
    }

    // The provider stands for one outside processor: one instance whatever the shop's replicas.
    const replicas = (service: AppService) => (APPS[service].outside ? 1 : (this.options.replicas ?? 1));
    // Every port known before the first start: order-service asks the others for an order's dead letters and hops.
    for (const service of this.services) this.ports[service] = await Promise.all(Array.from({ length: replicas(service) }, () => freePort()));
    for (const service of this.services) {
      this.apps[service] = [];
      for (let instance = 0; instance < replicas(service); instance++) await this.launch(service, instance);
    }
  }

  async adminToken(): Promise<string> {
    return E2E_ADMIN_TOKEN;
  }

  async providerApiKey(): Promise<string> {
    return E2E_PROVIDER_API_KEY;
  }

  async stop(): Promise<void> {
    const running = Object.entries(this.apps).flatMap(([service, apps]) => apps.map((_, instance) => [service as AppService, instance] as const));
    await Promise.allSettled(running.map(([service, instance]) => this.signal(service, instance, 'SIGTERM')));
    await Promise.allSettled(Object.values(this.apps).flatMap((apps) => apps.map((app) => app.databaseProxy.stop())));
    await Promise.allSettled(Object.values(this.pools).map((pool) => pool.end()));
    await this.broker?.dispose().catch(() => undefined);
    await this.smtp?.stop();
    await Promise.allSettled(Object.values(this.databases).map((database) => database.drop()));
    if (this.dir && !process.env.E2E_KEEP_LOGS) rmSync(this.dir, { recursive: true, force: true });
  }

  instances(service: Service): number {
    if (service === 'rabbitmq') return this.broker?.nodes ?? 0;
    if (service === 'smtp') return this.smtp ? 1 : 0;
    return this.apps[service]?.length ?? 0;
  }

  async kill(service: Service, instance = 0): Promise<void> {
    if (service === 'rabbitmq') return this.ownBroker().kill(instance);
    if (service === 'smtp') return this.ownSmtp().stop('SIGKILL');
    await this.signal(service, instance, 'SIGKILL');
  }

  async stopService(service: Service, instance = 0): Promise<void> {
    if (service === 'rabbitmq') return this.ownBroker().stop(instance);
    if (service === 'smtp') return this.ownSmtp().stop('SIGTERM');
    await this.signal(service, instance, 'SIGTERM');
  }

  async startService(service: Service, instance = 0): Promise<void> {
    if (service === 'rabbitmq') return this.ownBroker().start(instance);
    if (service === 'smtp') return this.ownSmtp().start();
    const app = this.app(service, instance);
    if (app.child) throw new Error(`${service} #${instance} is already running`);
    this.spawn(service, app);
    await waitUntilReady(this.url(service, instance), service);
  }

  async freeze(service: Service, instance = 0): Promise<void> {
    if (service === 'rabbitmq') return this.ownBroker().freeze(instance);
    if (service === 'smtp') return this.ownSmtp().freeze();
    this.app(service, instance).child?.kill('SIGSTOP');
  }

  async thaw(service: Service, instance = 0): Promise<void> {
    if (service === 'rabbitmq') return this.ownBroker().thaw(instance);
    if (service === 'smtp') return this.ownSmtp().thaw();
    this.app(service, instance).child?.kill('SIGCONT');
  }

  quorumQueue(queue: string): Promise<{ leader: number; members: number[] }> {
    return this.ownBroker().quorumQueue(queue);
  }

  async cutDatabase(service: AppService): Promise<void> {
    for (const app of this.apps[service] ?? []) app.databaseProxy.cut();
  }

  async restoreDatabase(service: AppService): Promise<void> {
    for (const app of this.apps[service] ?? []) app.databaseProxy.restore();
  }

  /**
   * The running instance's process id and resident memory (VmRSS from /proc, Linux; null
   * elsewhere), or null when it is not running: a scenario checks that a service outlived a fault
   * and that its memory stayed bounded.
   */
  processOf(service: AppService, instance = 0): { pid: number; rssBytes: number | null } | null {
    const child = this.app(service, instance).child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return null;
    let rssBytes: number | null = null;
    try {
      const kilobytes = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
      if (kilobytes) rssBytes = Number(kilobytes) * 1024;
    } catch {
      // not Linux, or gone just now
    }
    return { pid: child.pid, rssBytes };
  }

  url(service: AppService, instance = 0): string {
    return `http://127.0.0.1:${this.app(service, instance).port}`;
  }

  sql(database: Database): Pool {
    const pool = this.pools[database];
    if (!pool) throw new Error('the system is not started');
    return pool;
  }

  /** A connection to the first node that answers. */
  async amqp(): Promise<ChannelModel> {
    let failure: unknown = new Error('the system is not started');
    for (const url of this.broker?.urls ?? []) {
      try {
        return await connect(url);
      } catch (err) {
        failure = err;
      }
    }
    throw failure;
  }

  async emails(): Promise<AcceptedEmail[]> {
    return this.ownSmtp().emails();
  }

  async logTail(service: Service, lines = 40): Promise<string> {
    const files =
      service === 'rabbitmq'
        ? Array.from({ length: this.broker?.nodes ?? 0 }, (_, node) => this.broker?.logFile(node))
        : service === 'smtp'
          ? [this.smtp?.logFile]
          : (this.apps[service] ?? []).map((app) => app.logFile);
    const tails = files.map((file, instance) => {
      const tail = file && existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
      return files.length > 1 ? `[#${instance}]\n${tail}` : tail;
    });
    return tails.join('\n') || '(no log)';
  }

  /**
   * The whole topology of the route table, as the broker definitions hold it in compose and
   * Kubernetes: each service declares only its own queues, so without this an event bound to a
   * service this system does not run (notification-service) would be unroutable.
   */
  private async declareWholeTopology(): Promise<void> {
    const connection = await this.amqp();
    try {
      await declareTopology(await connection.createChannel(), TOPOLOGY);
    } finally {
      await connection.close().catch(() => undefined);
    }
  }

  private async openBroker(): Promise<Broker> {
    if (this.options.brokerNodes === 3) {
      const cluster = await sharedCluster();
      const vhost = await cluster.createVhost(`e2e-${randomBytes(4).toString('hex')}`);
      return {
        // Last node first: the topology is declared through the first address, so every quorum queue
        // has its leader there, and S6/S7 take down that leader. Not node 1: RabbitMQ (3.10) lets the
        // lowest-named node coordinate autoheal, and when that coordinator is the frozen node it must
        // restart itself while coordinating; the winner then waits for a "stopped" notice that never
        // comes, and the heal stalls for minutes (seen in CI, S7). A real outage can hit node 1 too:
        // production runs pause_minority (infra/rabbitmq), and README says how to heal by hand.
        urls: [...vhost.urls].reverse(),
        nodes: cluster.nodes.length,
        kill: (node) => cluster.kill(node),
        stop: (node) => cluster.stopNode(node),
        start: (node) => cluster.startNode(node),
        freeze: async (node) => cluster.freeze(node),
        thaw: async (node) => {
          // Back from the partition: the cluster heals (autoheal, or a restart of the node if autoheal
          // stalls), then every quorum queue has all its members again.
          const { healedBy, seconds } = await cluster.thawAndHeal(node);
          if (healedBy === 'restart')
            process.stdout.write(
              `broker node ${node + 1}: autoheal had not ended the partition 90 s after the thaw; node restarted by hand, healed ${seconds} s after the thaw\n`,
            );
          await cluster.waitForQuorum();
        },
        quorumQueue: (queue) => cluster.queueMembers(vhost.name, queue),
        logFile: (node) => cluster.nodes[node]?.logFile,
        dispose: () => vhost.remove(),
      };
    }
    if (this.options.ownBroker) {
      const node = new RabbitMqNode(join(this.dir, 'rabbitmq'));
      await node.start();
      const only = (index: number) => {
        if (index !== 0) throw new Error(`this system has one broker node, not #${index}`);
        return node;
      };
      return {
        urls: [node.url],
        nodes: 1,
        kill: (index) => only(index).kill(),
        stop: (index) => only(index).stop(),
        start: (index) => only(index).start(),
        freeze: async (index) => only(index).freeze(),
        thaw: async (index) => only(index).thaw(),
        quorumQueue: async () => ({ leader: 0, members: [0] }),
        logFile: () => node.logFile,
        dispose: () => node.stop(),
      };
    }
    const vhost = await createVhost('e2e');
    const shared = (): never => {
      throw new Error('this system shares the machine broker; start it with { ownBroker: true } or { brokerNodes: 3 } to stop, kill or freeze the broker');
    };
    return {
      urls: [vhost.url],
      nodes: 1,
      kill: async () => shared(),
      stop: async () => shared(),
      start: async () => shared(),
      freeze: async () => shared(),
      thaw: async () => shared(),
      quorumQueue: async () => ({ leader: 0, members: [0] }),
      logFile: () => undefined,
      dispose: () => vhost.remove(),
    };
  }

  private async launch(service: AppService, instance: number): Promise<void> {
    const database = new URL(this.databases[APPS[service].database]!.url);
    const databaseProxy = new TcpProxy(database.hostname, Number(database.port || 5432));
    const proxyPort = await databaseProxy.start();
    database.hostname = '127.0.0.1';
    database.port = String(proxyPort);
    const port = this.ports[service]![instance];
    const peer = (other: AppService) => (this.ports[other] ? `http://127.0.0.1:${this.ports[other]![0]}` : 'http://127.0.0.1:9');
    const env: NodeJS.ProcessEnv = APPS[service].outside
      ? {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          HOST: '127.0.0.1',
          PORT: String(port),
          [APPS[service].databaseVariable ?? 'DATABASE_URL']: database.toString(),
          PROVIDER_API_KEY: E2E_PROVIDER_API_KEY,
          LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
          ...this.options.providerEnv,
        }
      : {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          HOST: '127.0.0.1',
          PORT: String(port),
          // Nothing here scrapes; a fixed metrics port would collide between runs sharing the machine.
          METRICS_PORT: '0',
          DATABASE_URL: database.toString(),
          // Every node of the cluster, as a production deployment lists them.
          RABBITMQ_URL: this.broker!.urls.join(','),
          LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
          ADMIN_TOKEN: E2E_ADMIN_TOKEN,
          ...this.options.serviceEnv,
          ...(service === 'order-service' && {
            // One secret for every instance and restart: a cancel capability signed before a SIGKILL still works after it.
            CANCEL_TOKEN_SECRET: E2E_CANCEL_TOKEN_SECRET,
            SIGN_IN_SECRET: E2E_SIGN_IN_SECRET,
            INVENTORY_URL: peer('inventory-service'),
            NOTIFICATION_URL: peer('notification-service'),
            PAYMENT_URL: peer('payment-service'),
          }),
          ...(service === 'payment-service' && { PAYMENT_PROVIDER_URL: peer('payment-provider'), PAYMENT_PROVIDER_API_KEY: E2E_PROVIDER_API_KEY }),
          ...(service === 'notification-service' && {
            SMTP_URL: this.ownSmtp().url,
            MAIL_FROM: 'shop@e2e.example',
            SHOP_URL: 'http://shop.e2e.example',
          }),
        };
    const app: RunningApp = { port, env, databaseProxy, logFile: join(this.dir, `${service}-${instance}.log`), child: null };
    this.apps[service]![instance] = app;
    this.spawn(service, app);
    await waitUntilReady(this.url(service, instance), service);
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

  private async signal(service: AppService, instance: number, signal: NodeJS.Signals): Promise<void> {
    const child = this.app(service, instance).child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // A frozen process takes no signal but SIGKILL until it runs again.
    child.kill('SIGCONT');
    child.kill(signal);
    const escalate = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(escalate);
  }

  private app(service: AppService, instance: number): RunningApp {
    const app = this.apps[service]?.[instance];
    if (!app) throw new Error(`${service} #${instance} was never started`);
    return app;
  }

  private ownSmtp(): SmtpCatcher {
    if (!this.smtp) throw new Error('this system has no SMTP server: start it with { notifications: true }');
    return this.smtp;
  }

  private ownBroker(): Broker {
    if (!this.broker) throw new Error('the system is not started');
    return this.broker;
  }
}
