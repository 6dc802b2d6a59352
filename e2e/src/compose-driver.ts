import { freePort, sqlPool, waitFor, waitUntilReady } from '@shop/testing';
import { connect, type ChannelModel } from 'amqplib';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Pool } from 'pg';
import type { AcceptedEmail, AppService, Database, Service, SystemDriver } from './driver';

const run = promisify(execFile);
const REPO = resolve(__dirname, '../..');

/** Ports inside the containers (the compose file publishes them on the host). */
const CONTAINER_PORTS = {
  'order-service': 3001,
  'inventory-service': 3002,
  'notification-service': 3003,
  'payment-service': 3004,
  'payment-provider': 4010,
  postgres: 5432,
  rabbitmq: 5672,
  storefront: 8080,
  maildev: 1080,
  jaeger: 16686,
} as const;
type ComposeService = keyof typeof CONTAINER_PORTS;
/**
 * Every service of docker-compose.yml, as README's `docker compose up --build` starts them: the
 * scenarios kill some, and each run also shows the rest (the storefront, the receiver of the order
 * events and its mail catcher, Prometheus loading the alert rules) build and start healthy beside them.
 */
const SYSTEM = [
  'postgres',
  'rabbitmq',
  'order-service',
  'inventory-service',
  'notification-service',
  'payment-service',
  'payment-provider',
  'maildev',
  'storefront',
  'prometheus',
  // The observability profile: every span the services record is exported to it, whatever is killed.
  'jaeger',
];
/** Waited for until they answer /health/ready on their published ports: the scenarios talk to them. */
const REACHED = ['order-service', 'inventory-service', 'payment-service', 'payment-provider'] as const;
/** Started with the system, checked by their healthchecks (no scenario waits on them otherwise). */
const HEALTHCHECKED = ['notification-service', 'maildev', 'storefront', 'prometheus'];
/** Host ports the compose files take from the environment (docker-compose.e2e.yml, docker-compose.yml). */
const PUBLISHED_PORT_VARIABLES = [
  'E2E_POSTGRES_PORT',
  'E2E_RABBITMQ_PORT',
  'E2E_ORDER_SERVICE_PORT',
  'E2E_INVENTORY_SERVICE_PORT',
  'E2E_PAYMENT_SERVICE_PORT',
  'E2E_PAYMENT_PROVIDER_PORT',
  'RABBITMQ_MANAGEMENT_PORT',
  'STOREFRONT_PORT',
  'MAILDEV_WEB_PORT',
  'PROMETHEUS_PORT',
  'JAEGER_UI_PORT',
];
const DATABASE_OF: Record<Database, AppService> = {
  orders: 'order-service',
  inventory: 'inventory-service',
  notifications: 'notification-service',
  payments: 'payment-service',
  payment_provider: 'payment-provider',
};
/** The variable that names a service's database (the provider stand-in is not a shop service). */
const databaseVariable = (service: AppService) => (service === 'payment-provider' ? 'PROVIDER_DATABASE_URL' : 'DATABASE_URL');

/**
 * The shop as a docker-compose project (docker-compose.yml with the docker-compose.e2e.yml overlay
 * that publishes `postgres`, `rabbitmq`, `order-service`, `inventory-service`, `payment-service` and
 * the `payment-provider` stand-in on 127.0.0.1):
 * kill is `docker kill`, start is `docker-compose start`, the URLs are the published ports.
 * Credentials are read from the containers' own environment, so the driver follows whatever the
 * compose files configure. Each `start` is a fresh project (`down -v` first).
 */
export class ComposeDriver implements SystemDriver {
  readonly name = 'compose';
  private readonly project = process.env.E2E_COMPOSE_PROJECT ?? 'shop-e2e';
  /** The shop plus the overlay that publishes its ports for the tests. */
  private readonly files = (process.env.E2E_COMPOSE_FILES ?? 'docker-compose.yml,docker-compose.e2e.yml').split(',');
  private readonly environment: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    // README's "Traces" command, with the JSON protocol (Jaeger takes both; the stand-in of hosts without a registry, JSON only).
    OTEL_EXPORTER_OTLP_ENDPOINT: process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://jaeger:4318',
    OTEL_EXPORTER_OTLP_PROTOCOL: process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/json',
  };
  private command: string[] = [];
  private readonly urls: Partial<Record<AppService, string>> = {};
  private pools: Partial<Record<Database, Pool>> = {};
  private brokerUrl = '';

  async start(): Promise<void> {
    this.command = await composeCommand();
    // Published ports: free ones, so this project never collides with another stack on the host.
    for (const name of PUBLISHED_PORT_VARIABLES) this.environment[name] ??= String(await freePort());
    await this.compose('down', '-v', '--remove-orphans');
    await this.compose('up', '-d', ...(process.env.E2E_COMPOSE_BUILD === '0' ? [] : ['--build']), ...SYSTEM);
    await Promise.all(REACHED.map((service) => this.waitUntilUp(service)));
    await Promise.all(HEALTHCHECKED.map((service) => this.waitUntilHealthy(service)));

    const postgres = await this.published('postgres');
    const rabbitmq = await this.published('rabbitmq');
    for (const database of ['orders', 'inventory', 'payments'] as const) {
      const url = new URL(await this.containerEnv(DATABASE_OF[database], databaseVariable(DATABASE_OF[database])));
      url.hostname = '127.0.0.1';
      url.port = String(postgres);
      this.pools[database] = sqlPool(url.toString());
    }
    const broker = new URL(await this.containerEnv('order-service', 'RABBITMQ_URL'));
    broker.hostname = '127.0.0.1';
    broker.port = String(rabbitmq);
    this.brokerUrl = broker.toString();
  }

  async stop(): Promise<void> {
    await Promise.allSettled(Object.values(this.pools).map((pool) => pool.end()));
    if (!process.env.E2E_KEEP_STACK) await this.compose('down', '-v', '--remove-orphans');
  }

  /** The shop as a shopper reaches it: nginx with the storefront, proxying /api (docker-compose.yml's STOREFRONT_PORT). */
  async shopUrl(): Promise<string> {
    return `http://127.0.0.1:${await this.published('storefront')}`;
  }

  /** Jaeger's UI and query API (`/api/traces/<trace id>`): the traces the services exported. */
  async jaegerUrl(): Promise<string> {
    return `http://127.0.0.1:${await this.published('jaeger')}`;
  }

  /** MailDev's web UI and REST API: every email the shop sent. */
  async mailUrl(): Promise<string> {
    return `http://127.0.0.1:${await this.published('maildev')}`;
  }

  async adminToken(): Promise<string> {
    return this.containerEnv('order-service', 'ADMIN_TOKEN');
  }

  async providerApiKey(): Promise<string> {
    return this.containerEnv('payment-provider', 'PROVIDER_API_KEY');
  }

  /** One container per service it starts: the compose project of docker-compose.yml runs one broker node and one instance of each. */
  instances(service: Service): number {
    return SYSTEM.includes(service) ? 1 : 0;
  }

  async kill(service: Service, instance = 0): Promise<void> {
    await run('docker', ['kill', '--signal', 'KILL', await this.container(composed(service), instance)]);
  }

  async stopService(service: Service, instance = 0): Promise<void> {
    await this.container(composed(service), instance);
    await this.compose('stop', composed(service));
  }

  async startService(service: Service, instance = 0): Promise<void> {
    await this.container(composed(service), instance);
    await this.compose('start', composed(service));
    await this.waitUntilUp(service as Exclude<Service, 'smtp'>);
  }

  /** `docker pause`: the cgroup freezer stops every process of the container, as SIGSTOP would. */
  async freeze(service: Service, instance = 0): Promise<void> {
    await run('docker', ['pause', await this.container(composed(service), instance)]);
  }

  async thaw(service: Service, instance = 0): Promise<void> {
    await run('docker', ['unpause', await this.container(composed(service), instance)]);
  }

  async quorumQueue(): Promise<{ leader: number; members: number[] }> {
    return { leader: 0, members: [0] };
  }

  /** The service's database refuses connections (and loses the ones it has) until restored. */
  async cutDatabase(service: AppService): Promise<void> {
    const database = await this.databaseName(service);
    await this.psql(
      `ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS false; ` +
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${database}' AND pid <> pg_backend_pid();`,
    );
  }

  async restoreDatabase(service: AppService): Promise<void> {
    await this.psql(`ALTER DATABASE "${await this.databaseName(service)}" WITH ALLOW_CONNECTIONS true;`);
  }

  url(service: AppService, instance = 0): string {
    if (instance !== 0) throw new Error(`${service} has one instance in this compose project, not #${instance + 1}`);
    const url = this.urls[service];
    if (!url) throw new Error(`${service} is not up`);
    return url;
  }

  sql(database: Database): Pool {
    const pool = this.pools[database];
    if (!pool) throw new Error('the system is not started');
    return pool;
  }

  amqp(): Promise<ChannelModel> {
    return connect(this.brokerUrl);
  }

  async emails(): Promise<AcceptedEmail[]> {
    throw new Error(NO_SMTP);
  }

  async logTail(service: Service, lines = 40): Promise<string> {
    const { stdout, stderr } = await run('docker', ['logs', '--tail', String(lines), await this.container(composed(service))], { maxBuffer: 16 * 1024 * 1024 });
    return `${stdout}${stderr}`.trimEnd();
  }

  private async waitUntilUp(service: Exclude<Service, 'smtp'>): Promise<void> {
    if (service === 'rabbitmq') {
      const connectOnce = async () => {
        const connection = await connect(this.brokerUrl);
        await connection.close();
        return true;
      };
      await waitFor(connectOnce, { timeoutMs: 180_000, intervalMs: 500, what: 'the rabbitmq container to accept AMQP' });
      return;
    }
    // A published port may change when a container starts again, so look it up each time.
    this.urls[service] =
      `http://127.0.0.1:${await waitFor(() => this.published(service), { timeoutMs: 180_000, intervalMs: 1_000, what: `${service}'s published port` })}`;
    await waitUntilReady(this.urls[service], service, 300_000);
  }

  /** Until the container's own healthcheck reports healthy. */
  private async waitUntilHealthy(service: string): Promise<void> {
    await waitFor(
      async () => {
        const { stdout: id } = await this.compose('ps', '-q', service);
        const { stdout } = await run('docker', ['inspect', '--format', '{{.State.Health.Status}}', id.trim().split('\n')[0]]);
        return stdout.trim() === 'healthy';
      },
      { timeoutMs: 300_000, intervalMs: 2_000, what: `${service} healthy in compose` },
    );
  }

  private async databaseName(service: AppService): Promise<string> {
    return decodeURIComponent(new URL(await this.containerEnv(service, databaseVariable(service))).pathname.slice(1));
  }

  private async psql(sql: string): Promise<void> {
    const user = (await this.containerEnv('postgres', 'POSTGRES_USER').catch(() => '')) || 'postgres';
    await run('docker', ['exec', await this.container('postgres'), 'psql', '-U', user, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', sql]);
  }

  private async published(service: ComposeService): Promise<number> {
    const { stdout } = await this.compose('port', service, String(CONTAINER_PORTS[service]));
    const port = Number(stdout.trim().split('\n')[0]?.split(':').pop());
    if (!port) throw new Error(`${service} publishes no port for ${CONTAINER_PORTS[service]}`);
    return port;
  }

  private async container(service: ComposeService, instance = 0): Promise<string> {
    if (instance !== 0) throw new Error(`${service} has one instance in this compose project, not #${instance + 1}`);
    const { stdout } = await this.compose('ps', '-a', '-q', service); // -a: a killed container too
    const id = stdout.trim().split('\n')[0];
    if (!id) throw new Error(`no container for ${service} in project ${this.project}`);
    return id;
  }

  private async containerEnv(service: ComposeService, name: string): Promise<string> {
    const { stdout } = await run('docker', ['inspect', '--format', '{{json .Config.Env}}', await this.container(service)]);
    const entry = (JSON.parse(stdout) as string[]).find((line) => line.startsWith(`${name}=`));
    if (entry === undefined) throw new Error(`${service} has no ${name} in its environment`);
    return entry.slice(name.length + 1);
  }

  private compose(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    const [bin, ...prefix] = this.command;
    const files = this.files.flatMap((file) => ['-f', resolve(REPO, file)]);
    return run(bin, [...prefix, '-p', this.project, ...files, '--profile', 'observability', ...args], {
      cwd: REPO,
      env: this.environment,
      maxBuffer: 64 * 1024 * 1024,
    });
  }
}

const NO_SMTP = 'the compose driver does not stop or read the SMTP server (maildev) yet: S10 runs on the process driver';

/** The compose service of a scenario's service. */
function composed(service: Service): ComposeService {
  if (service === 'smtp') throw new Error(NO_SMTP);
  return service;
}

/** `docker compose` (v2) when the docker CLI has it, else `docker-compose` (1.29 here). */
async function composeCommand(): Promise<string[]> {
  if (process.env.E2E_COMPOSE_COMMAND) return process.env.E2E_COMPOSE_COMMAND.split(' ');
  try {
    await run('docker', ['compose', 'version']);
    return ['docker', 'compose'];
  } catch {
    return ['docker-compose'];
  }
}
