import { freePort } from '@shop/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const SCRIPT = join(__dirname, 'smtp-sink.child.mjs');

/**
 * The bench's mail server: a real SMTP server (`smtp-server`, as the e2e catcher) in a child process
 * on 127.0.0.1 (./smtp-sink.child.mjs), so notification-service sends its emails as deployed and the
 * load generator does not slow the server's replies. It keeps, per email, only the order it is about,
 * its event and when it was accepted (the 250 after DATA): enough to count emails per second and the
 * time from an order confirmed to its email, without holding messages in memory.
 */
export class SmtpSink {
  /** Accept time (epoch ms) of the first email per `<orderId> <event>`; a second one counts as a duplicate. */
  private readonly accepted = new Map<string, number>();
  /** Every accepted message, duplicates included. */
  total = 0;
  duplicates = 0;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<SmtpSink> {
    const port = await freePort();
    const child = spawn(process.execPath, [SCRIPT, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const sink = new SmtpSink(child, port);
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`the SMTP sink exited (${signal ?? code}) before it listened`)));
      lines.on('line', (line) => {
        if (line === 'listening') return resolve();
        const [orderId, event, at] = line.split(' ');
        sink.record(orderId, event, Number(at));
      });
    });
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** When the first email of `event` about `orderId` was accepted (epoch ms). */
  acceptedAt(orderId: string, event: string): number | undefined {
    return this.accepted.get(`${orderId} ${event}`);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  private record(orderId: string, event: string, at: number): void {
    this.total++;
    const key = `${orderId} ${event}`;
    if (this.accepted.has(key)) this.duplicates++;
    else this.accepted.set(key, at);
  }
}
