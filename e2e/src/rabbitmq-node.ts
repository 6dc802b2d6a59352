import { freePort, waitFor } from '@shop/testing';
import { connect } from 'amqplib';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RABBITMQ_SERVER = process.env.E2E_RABBITMQ_SERVER ?? '/usr/lib/rabbitmq/bin/rabbitmq-server';

/**
 * A RabbitMQ node of this run only, so killing the broker never touches the machine's shared one.
 * Its data lives in `dir`: killed with SIGKILL and started again, it recovers its quorum queues
 * and persistent messages from there, as a crashed production node would.
 */
export class RabbitMqNode {
  readonly nodeName = `e2e-${randomBytes(4).toString('hex')}@localhost`;
  readonly logFile: string;
  private port = 0;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private env: NodeJS.ProcessEnv = {};

  constructor(private readonly dir: string) {
    this.logFile = join(dir, 'rabbitmq.log');
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}/%2F`;
  }

  async start(): Promise<void> {
    if (this.port === 0) await this.prepare();
    const log = openSync(this.logFile, 'a');
    // Its own process group, so a kill reaches the shell wrapper, the VM and the VM's helpers at once.
    const child = spawn(RABBITMQ_SERVER, [], { env: this.env, cwd: this.dir, detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
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

  private async signal(signal: NodeJS.Signals, graceMs = 0): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const group = -child.pid!;
    process.kill(group, signal);
    const timer = graceMs > 0 ? setTimeout(() => process.kill(group, 'SIGKILL'), graceMs) : null;
    await this.exited;
    if (timer) clearTimeout(timer);
    // The wrapper may exit before the VM; wait until nothing of the group is left.
    await waitFor(() => !processGroupAlive(group), { timeoutMs: 30_000, intervalMs: 100, what: `${this.nodeName} to exit` });
    this.child = null;
  }

  private async prepare(): Promise<void> {
    this.port = await freePort();
    const distPort = await freePort();
    mkdirSync(join(this.dir, 'mnesia'), { recursive: true });
    mkdirSync(join(this.dir, 'log'), { recursive: true });
    // No management plugin, and none of the machine's configuration (it names the shared node's port).
    writeFileSync(join(this.dir, 'enabled_plugins'), '[].\n');
    writeFileSync(join(this.dir, 'rabbitmq.conf'), `listeners.tcp.1 = 127.0.0.1:${this.port}\n`);
    writeFileSync(join(this.dir, 'rabbitmq-env.conf'), '');
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
