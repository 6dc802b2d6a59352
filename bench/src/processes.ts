import { freePort, waitUntilReady } from '@shop/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The node flags of the shop's images (the Dockerfile's NODE_OPTIONS: V8's heap sized for a
 * service), read from the Dockerfile so the bench measures the services as they deploy. Every Node
 * process the bench starts gets them, the baselines' too, so CPU and memory compare at one setting.
 */
export const DEPLOYED_NODE_OPTIONS = nodeOptionsOf(readFileSync(resolve(__dirname, '../../Dockerfile'), 'utf8'));

function nodeOptionsOf(dockerfile: string): string {
  const options = /^\s*NODE_OPTIONS="([^"]*)"/m.exec(dockerfile)?.[1];
  if (options === undefined) throw new Error('Dockerfile: no NODE_OPTIONS="…" line, which the bench starts its services with');
  return options;
}

/** A service as a child process on 127.0.0.1: started, stopped, restarted on the same port, its memory read from /proc. */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;
  readonly url: string;

  private constructor(
    readonly name: string,
    private readonly args: string[],
    /** Read at every start, so a restart can change a knob (e.g. the broker URL). */
    readonly env: NodeJS.ProcessEnv,
    readonly port: number,
    private readonly logFile: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async create(name: string, args: string[], env: NodeJS.ProcessEnv, logDir: string): Promise<ServiceProcess> {
    const port = await freePort();
    return new ServiceProcess(
      name,
      args,
      { NODE_OPTIONS: DEPLOYED_NODE_OPTIONS, ...env, PORT: String(port), METRICS_PORT: '0', HOST: '127.0.0.1' },
      port,
      join(logDir, `${name}.log`),
    );
  }

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, this.args, { env: { PATH: process.env.PATH, ...this.env }, stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    // A service that dies mid-phase (not stopped by the bench) is said at once: its phase's figures are void.
    child.once('exit', (code, signal) => {
      if (this.child === child && !this.stopping) console.error(`${this.name} exited unexpectedly (${signal ?? code}):\n${this.logTail(10)}`);
    });
    const died = this.exited.then(() => {
      throw new Error(`${this.name} exited while starting:\n${this.logTail()}`);
    });
    // Generous: on a busy shared machine five services starting at once took over 90 s.
    await Promise.race([waitUntilReady(this.url, this.name, 240_000), died]);
  }

  /** Graceful stop (SIGTERM), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    child.kill('SIGTERM');
    const escalate = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(escalate);
    this.child = null;
    this.stopping = false;
  }

  /** SIGKILL, no warning: the process dies mid-work, as on a crash; resolves once it has exited. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
    this.child = null;
  }

  /** Peak resident memory since the process started (VmHWM), in MiB. */
  peakRssMb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
    return Math.round(kb / 1024);
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
