import { connect } from 'amqplib';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';
import { waitFor } from './wait';

const run = promisify(execFile);

const RABBITMQ_BIN = process.env.E2E_RABBITMQ_BIN ?? '/usr/lib/rabbitmq/bin';
const RABBITMQ_SERVER = process.env.E2E_RABBITMQ_SERVER ?? join(RABBITMQ_BIN, 'rabbitmq-server');

export type RabbitMqCli = 'rabbitmqctl' | 'rabbitmq-queues' | 'rabbitmq-diagnostics';

export interface RabbitMqNodeOptions {
  /** A short name such as `e2e-1a2b3c4d@localhost`; random by default. */
  nodeName?: string;
  /** Extra lines for rabbitmq.conf (cluster formation, partition handling, net_ticktime). */
  config?: string[];
  /** The Erlang cookie the node and its CLI tools share; nodes of one cluster need the same. */
  cookie?: string;
  /** Distribution tick for the CLI tools, to match a node with a short `net_ticktime`. */
  netTicktimeSeconds?: number;
}

/**
 * A RabbitMQ node of this run only, so killing the broker never touches the machine's shared one.
 * Its data lives in `dir`: killed with SIGKILL and started again, it recovers its quorum queues
 * and persistent messages from there, as a crashed production node would.
 */
export class RabbitMqNode {
  readonly nodeName: string;
  readonly logFile: string;
  private port = 0;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private env: NodeJS.ProcessEnv = {};
  private frozen = false;

  constructor(
    private readonly dir: string,
    private readonly options: RabbitMqNodeOptions = {},
  ) {
    this.nodeName = options.nodeName ?? `e2e-${randomBytes(4).toString('hex')}@localhost`;
    this.logFile = join(dir, 'rabbitmq.log');
  }

  get url(): string {
    return this.vhostUrl('/');
  }

  /** The AMQP URL of this node for `vhost`, as guest over 127.0.0.1 (guest may log in over loopback only). */
  vhostUrl(vhost: string): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}/${encodeURIComponent(vhost)}`;
  }

  /** Started and not yet exited (a frozen node is running too, but answers nothing). */
  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The node's process group (the wrapper script, the VM and its helpers), while it runs. */
  get processGroup(): number | undefined {
    return this.running ? this.child!.pid : undefined;
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  async start(): Promise<void> {
    if (this.port === 0) await this.prepare();
    const log = openSync(this.logFile, 'a');
    // Its own process group, so a kill reaches the shell wrapper, the VM and the VM's helpers at once.
    const child = spawn(RABBITMQ_SERVER, [], { env: this.env, cwd: this.dir, detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    this.frozen = false;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`rabbitmq-server exited (${child.exitCode ?? child.signalCode}); see ${this.logFile}`);
        const connection = await connect(this.url);
        await connection.close();
        return true;
      },
      { timeoutMs: 180_000, intervalMs: 500, what: `RabbitMQ node ${this.nodeName} to accept AMQP on port ${this.port}` },
    );
  }

  /** SIGKILL to the whole process tree: the broker gets no chance to flush or say goodbye. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM', 30_000);
  }

  /** SIGSTOP to the whole process tree: the node holds its sockets but answers nothing, like a hung machine. */
  freeze(): void {
    if (!this.running) throw new Error(`${this.nodeName} is not running`);
    process.kill(-this.child!.pid!, 'SIGSTOP');
    this.frozen = true;
  }

  thaw(): void {
    if (!this.running) throw new Error(`${this.nodeName} is not running`);
    process.kill(-this.child!.pid!, 'SIGCONT');
    this.frozen = false;
  }

  /** Runs a RabbitMQ CLI tool against this node, with the node's HOME (its Erlang cookie). */
  async cli(tool: RabbitMqCli, args: string[], timeoutMs = 60_000): Promise<string> {
    if (this.port === 0) throw new Error(`${this.nodeName} was never started`);
    const { stdout } = await run(join(RABBITMQ_BIN, tool), ['-n', this.nodeName, ...args], {
      env: this.env,
      cwd: this.dir,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  }

  private async signal(signal: NodeJS.Signals, graceMs = 0): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const group = -child.pid!;
    process.kill(group, signal);
    // A stopped process acts on SIGTERM only once it runs again.
    if (this.frozen) process.kill(group, 'SIGCONT');
    const timer = graceMs > 0 ? setTimeout(() => process.kill(group, 'SIGKILL'), graceMs) : null;
    await this.exited;
    if (timer) clearTimeout(timer);
    // The wrapper may exit before the VM; wait until nothing of the group is left.
    await waitFor(() => !processGroupAlive(group), { timeoutMs: 30_000, intervalMs: 100, what: `${this.nodeName} to exit` });
    this.child = null;
    this.frozen = false;
  }

  private async prepare(): Promise<void> {
    this.port = await freePort();
    const distPort = await freePort();
    mkdirSync(join(this.dir, 'mnesia'), { recursive: true });
    mkdirSync(join(this.dir, 'log'), { recursive: true });
    // No management plugin, and none of the machine's configuration (it names the shared node's port).
    writeFileSync(join(this.dir, 'enabled_plugins'), '[].\n');
    const config = [`listeners.tcp.1 = 127.0.0.1:${this.port}`, ...(this.options.config ?? [])];
    writeFileSync(join(this.dir, 'rabbitmq.conf'), `${config.join('\n')}\n`);
    writeFileSync(join(this.dir, 'rabbitmq-env.conf'), '');
    // The VM and the CLI tools read the cookie from $HOME; Erlang refuses one others can read.
    if (this.options.cookie) writeFileSync(join(this.dir, '.erlang.cookie'), this.options.cookie, { mode: 0o400 });
    const tick = this.options.netTicktimeSeconds;
    this.env = {
      PATH: process.env.PATH,
      HOME: this.dir,
      LANG: 'C.UTF-8',
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: join(this.dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(this.dir, 'log'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dir, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: join(this.dir, 'rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(this.dir, 'advanced.config'),
      RABBITMQ_CONF_ENV_FILE: join(this.dir, 'rabbitmq-env.conf'),
      RABBITMQ_PID_FILE: join(this.dir, 'rabbitmq.pid'),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
      ...(tick ? { RABBITMQ_CTL_ERL_ARGS: `-kernel net_ticktime ${tick}` } : {}),
    };
  }
}

function processGroupAlive(group: number): boolean {
  try {
    process.kill(group, 0);
    return true;
  } catch {
    return false;
  }
}
