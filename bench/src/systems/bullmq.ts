import { createDatabase, freePort, sqlPool, waitFor } from '@shop/testing';
import { Queue } from 'bullmq';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { createBullmqSchema } from '../../baselines/bullmq/schema';
import { ServiceProcess } from '../processes';
import { BENCH_STOCK } from '../shop';
import type { Outcomes, QueueServer, SystemUnderTest } from '../system';

const MAIN = resolve(__dirname, '../../baselines/bullmq/main.ts');
const TSCONFIG = resolve(__dirname, '../../tsconfig.json');
const QUEUE_NAMES = ['order-placed', 'stock-results'];

/**
 * The BullMQ baseline (bench/baselines/bullmq): the order process commits the order, then adds a job;
 * a worker process reserves the stock and adds the result to a second queue, which the order process
 * records. Its Redis is a private `redis-server` configured as BullMQ's production guide asks (AOF
 * written every second, no eviction), so it can be SIGKILLed and restarted on its own data.
 */
export async function startBullmq(dir: string, log: (message: string) => void): Promise<SystemUnderTest> {
  const home = join(dir, 'bullmq');
  mkdirSync(home, { recursive: true });
  const redis = new RedisServer(await freePort(), join(home, 'redis'));
  const [ordersDb, stockDb] = await Promise.all([createDatabase('bench_bullmq_orders'), createDatabase('bench_bullmq_stock')]);
  const cleanups: (() => Promise<unknown>)[] = [() => redis.stop(), ordersDb.drop, stockDb.drop];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    if (!process.env.BENCH_KEEP_LOGS) rmSync(home, { recursive: true, force: true });
  };
  try {
    await redis.start();
    await createBullmqSchema(ordersDb.url, stockDb.url, BENCH_STOCK);
    const env: NodeJS.ProcessEnv = { NODE_ENV: 'production', TSX_TSCONFIG_PATH: TSCONFIG, REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port) };
    // The bench's knobs, passed on when set (pg pool size 20 and worker concurrency 50 otherwise).
    for (const knob of ['DATABASE_POOL_SIZE', 'WORKER_CONCURRENCY']) if (process.env[knob]) env[knob] = process.env[knob];
    // BENCH_CPU_PROF=<dir>: each process writes a V8 CPU profile there when it stops, as the shop's services do.
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROF)}`] : [];
    const args = [...profile, '--import', 'tsx', MAIN];
    const consumer = await ServiceProcess.create('bullmq-consumer', args, { ...env, BULLMQ_ROLE: 'consumer', DATABASE_URL: stockDb.url }, home);
    const orders = await ServiceProcess.create('bullmq-orders', args, { ...env, BULLMQ_ROLE: 'orders', DATABASE_URL: ordersDb.url }, home);
    cleanups.push(
      () => orders.stop(),
      () => consumer.stop(),
    );
    await Promise.all([consumer.start(), orders.start()]);

    const ordersPool = sqlPool(ordersDb.url);
    const stockPool = sqlPool(stockDb.url);
    // The bench's own look at the queues; it fails fast (rather than waits) while Redis is down.
    const queues = QUEUE_NAMES.map((name) => new Queue(name, { connection: { host: '127.0.0.1', port: redis.port, enableOfflineQueue: false } }));
    for (const queue of queues) queue.on('error', () => undefined);
    cleanups.push(
      () => ordersPool.end(),
      () => stockPool.end(),
      ...queues.map((queue) => () => queue.close()),
    );
    log(`bullmq: orders ${orders.url}, consumer ${consumer.url}, private redis-server on port ${redis.port} (AOF every second, noeviction)`);

    const outcomes = async (ids: string[]): Promise<Outcomes> => {
      const { rows } = await ordersPool.query<{ pending: boolean; n: string }>(
        `SELECT status = 'PENDING' AS pending, count(*) AS n FROM orders WHERE id = ANY($1::uuid[]) GROUP BY 1`,
        [ids],
      );
      const pending = Number(rows.find((row) => row.pending)?.n ?? 0);
      const found = rows.reduce((sum, row) => sum + Number(row.n), 0);
      // Taken twice: more units reserved for an order than it ordered (the lines are in the orders
      // database, the reservations in the stock database, so they are compared here).
      const [{ rows: ordered }, { rows: reserved }] = await Promise.all([
        ordersPool.query<{ id: string; quantity: string }>(
          `SELECT order_id AS id, sum(quantity) AS quantity FROM order_lines WHERE order_id = ANY($1::uuid[]) GROUP BY order_id`,
          [ids],
        ),
        stockPool.query<{ id: string; quantity: string }>(
          `SELECT order_id AS id, sum(quantity) AS quantity FROM reservations WHERE order_id = ANY($1::uuid[]) GROUP BY order_id`,
          [ids],
        ),
      ]);
      const orderedById = new Map(ordered.map((row) => [row.id, Number(row.quantity)]));
      const appliedTwice = reserved.filter((row) => Number(row.quantity) > (orderedById.get(row.id) ?? 0)).length;
      return { settled: found - pending, pending, missing: ids.length - found, appliedTwice };
    };

    const idle = async (): Promise<boolean> => {
      try {
        for (const queue of queues) {
          // An active job of a killed worker counts until BullMQ sees it stalled and runs it again.
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
          if (Object.values(counts).some((n) => n > 0)) return false;
        }
        return true;
      } catch {
        return false; // Redis is down
      }
    };

    const queue: QueueServer = { kill: () => redis.kill(), start: () => redis.start(), processGroups: () => (redis.pid ? [redis.pid] : []) };
    return { name: 'bullmq', orders, consumer, queue, ordersDb: ordersPool, stockDb: stockPool, outcomes, idle, close: cleanUp };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

/** A private `redis-server`: its own port and data directory, kept across a SIGKILL and a restart. */
class RedisServer {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    // BullMQ's production guide: AOF persistence written every second, and no eviction ever. No RDB
    // snapshots, so the AOF alone is what survives a kill.
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--logfile', 'redis.log'];
    args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction', '--save', '');
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const died = this.exited.then(() => {
      throw new Error(`redis-server exited while starting (see ${join(this.dir, 'redis.log')})`);
    });
    const ready = waitFor(async () => (await ping(this.port)) === '+PONG', { timeoutMs: 60_000, intervalMs: 100, what: `redis-server on port ${this.port}` });
    await Promise.race([ready, died]);
  }

  /** SIGKILL: whatever the AOF has not written is gone. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    await this.exited;
    this.child = null;
  }
}

/** One PING over a fresh connection: `+PONG` once Redis has loaded its data (`-LOADING` before). */
function ping(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    let answer = '';
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      answer += data.toString();
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.trim());
      }
    });
    socket.on('error', () => resolve(''));
    socket.on('timeout', () => {
      socket.destroy();
      resolve('');
    });
  });
}
