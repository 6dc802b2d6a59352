import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AcceptedEmail } from './driver';

const SCRIPT = join(__dirname, 'smtp-catcher.child.mjs');
const STARTS_WITHIN_MS = 15_000;

/**
 * A real SMTP server (the `smtp-server` package) in a child process of its own on 127.0.0.1, so a
 * scenario can kill it and start it again on the same port: SMTP down for the services that send
 * mail. Every message it accepted is a JSON line in `<dir>/smtp-accepted.jsonl`, kept across restarts.
 */
export class SmtpCatcher {
  readonly acceptedFile: string;
  readonly logFile: string;
  private child: ChildProcess | null = null;

  constructor(
    dir: string,
    readonly port: number,
  ) {
    this.acceptedFile = join(dir, 'smtp-accepted.jsonl');
    this.logFile = join(dir, 'smtp.log');
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Resolves once it listens. */
  async start(): Promise<void> {
    if (this.child) throw new Error('the SMTP server is already running');
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [SCRIPT, String(this.port), this.acceptedFile], { stdio: ['ignore', 'pipe', log] });
    closeSync(log);
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`the SMTP server did not listen on ${this.port} within ${STARTS_WITHIN_MS / 1000} s`)), STARTS_WITHIN_MS);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => fail(new Error(`the SMTP server exited (${signal ?? code}) before it listened: see ${this.logFile}`)));
    });
  }

  /** SIGKILL (open sessions die mid-conversation) or SIGTERM; resolves once the process is gone. */
  async stop(signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill(signal);
    const escalate = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(escalate);
  }

  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** Every message accepted so far, in the order it was accepted. */
  emails(): AcceptedEmail[] {
    if (!existsSync(this.acceptedFile)) return [];
    return readFileSync(this.acceptedFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => {
        try {
          const parsed = JSON.parse(line) as Omit<AcceptedEmail, 'receivedAt'> & { receivedAt: string };
          return [{ ...parsed, receivedAt: new Date(parsed.receivedAt) }];
        } catch {
          return []; // a line cut short by a SIGKILL mid-write: that message got no 250, so it is sent again
        }
      });
  }
}
