import { waitFor } from '@shop/testing';
import { cpuPer, cpuSnapshot, type CpuSnapshot } from './cpu';
import { offerOrders, placeOrders, round, type IntakeResult } from './load';
import { settleOutcomes } from './faults';
import type { SystemUnderTest } from './system';

export interface ComparePlan {
  /** Seconds per intake point. */
  seconds: number;
  warmupSeconds: number;
  connections: readonly number[];
  /** Seconds of paced load per rate. */
  e2eSeconds: number;
  rates: readonly number[];
  drainOrders: number;
  settleTimeoutMs: number;
  /** Orders still pending once the system is idle and nothing changed this long are given up on (a loss). */
  quietMs: number;
}

export interface E2eFigures {
  offeredPerSecond: number;
  acceptedPerSecond: number;
  processed: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
}

export interface SystemPerformance {
  /** Intake at each connection count (`c16`...), the consumer up, then stopped. */
  intake: { up: Record<string, IntakeResult>; down: Record<string, IntakeResult> };
  /** POST → processed (`updated_at - created_at`) at each offered rate (`r100`...). */
  e2e: Record<string, E2eFigures>;
  drain: { orders: number; perSecond: number; timeToEmptyS: number; drainSpanS: number; cpuMsPerOrder: Record<string, number> };
  /**
   * CPU ms per order of each process over the whole path (POST to result recorded), at the highest
   * rate: orders, consumer, queue (this system's own server), postgres (every PostgreSQL process on
   * the machine), loadGenerator; `total` is all of them but the load generator.
   */
  cpuMsPerOrder: Record<string, number>;
  /** Peak RSS (VmHWM) after the intake with the consumer up. */
  rssMb: { orders: number; consumer: number };
}

type Log = (message: string) => void;

/**
 * B9: the performance figures of any compared system, measured the same way for each: intake
 * (placeOrders) at each connection count with the consumer up and stopped, POST → processed at
 * fixed offered rates, the drain of a backlog, CPU per order per process, and peak memory.
 */
export async function measureSystem(system: SystemUnderTest, plan: ComparePlan, log: Log): Promise<SystemPerformance> {
  const settle = (what: string) => waitFor(() => system.idle(), { timeoutMs: plan.settleTimeoutMs, intervalMs: 250, what: `${system.name}: ${what}` });
  const intakeAt = async (state: 'up' | 'down') => {
    await placeOrders({ url: system.orders.url, connections: 16, seconds: plan.warmupSeconds, tag: 'warmup' });
    if (state === 'up') await settle('the warm-up to be processed');
    const byConnections: Record<string, IntakeResult> = {};
    for (const connections of plan.connections) {
      const before = snapshot(system);
      const result = await placeOrders({ url: system.orders.url, connections, seconds: plan.seconds, tag: `${tagOf(system)}-intake-${state}-c${connections}` });
      result.cpuMsPerOrder = cpuPer(before, snapshot(system), result.created);
      byConnections[`c${connections}`] = result;
      log(`B9 ${system.name}: intake, consumer ${state}, ${connections} connections: ${JSON.stringify(result)}`);
      if (state === 'up') await settle('the intake to be processed');
    }
    return byConnections;
  };

  const up = await intakeAt('up');
  const rssMb = { orders: system.orders.peakRssMb(), consumer: system.consumer.peakRssMb() };
  await system.consumer.stop();
  const down = await intakeAt('down');
  await system.consumer.start();
  await settle('the backlog of the intake with the consumer stopped to be processed');

  const e2e: Record<string, E2eFigures> = {};
  let cpuMsPerOrder: Record<string, number> = {};
  for (const rate of plan.rates) {
    const ids: string[] = [];
    const before = snapshot(system);
    const load = await offerOrders({ url: system.orders.url, rate, seconds: plan.e2eSeconds, tag: `${tagOf(system)}-e2e-${rate}`, ids });
    await settleOutcomes(system, ids, plan.quietMs, plan.settleTimeoutMs);
    // The highest rate at which any order was accepted gives the figure (none at all: no figure).
    if (ids.length) cpuMsPerOrder = withTotal(cpuPer(before, snapshot(system), ids.length));
    e2e[`r${rate}`] = { offeredPerSecond: rate, acceptedPerSecond: load.rps, ...(await latency(system, ids)) };
    log(`B9 ${system.name}: POST → processed at ${rate}/s ${JSON.stringify(e2e[`r${rate}`])}; CPU ms per order ${JSON.stringify(cpuMsPerOrder)}`);
    await settle('the paced orders to be processed');
  }

  const drain = await drainBacklog(system, plan, log);
  return { intake: { up, down }, e2e, drain, cpuMsPerOrder, rssMb };
}

function snapshot(system: SystemUnderTest): CpuSnapshot {
  const all = cpuSnapshot({ orders: system.orders.pid, consumer: system.consumer.pid }, undefined, { queue: system.queue.processGroups() });
  // `rabbitmq` is every RabbitMQ on the machine (the shared one too): not this system's figure.
  delete all.rabbitmq;
  return all;
}

function withTotal(cpu: Record<string, number>): Record<string, number> {
  const total = Object.entries(cpu)
    .filter(([name]) => name !== 'loadGenerator')
    .reduce((sum, [, ms]) => sum + ms, 0);
  return { ...cpu, total: round(total) };
}

async function latency(system: SystemUnderTest, ids: string[]): Promise<Omit<E2eFigures, 'offeredPerSecond' | 'acceptedPerSecond'>> {
  const { rows } = await system.ordersDb.query<{ p50: number; p99: number; max: number; n: string }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max, count(*) AS n
     FROM (SELECT extract(epoch FROM updated_at - created_at) * 1000 AS ms FROM orders WHERE id = ANY($1::uuid[]) AND status <> 'PENDING') latencies`,
    [ids],
  );
  return { processed: Number(rows[0].n), p50ms: round(rows[0].p50, 1), p99ms: round(rows[0].p99, 1), maxMs: round(rows[0].max, 1) };
}

/**
 * B5's drain for any system: the consumer stopped, plan.drainOrders orders placed at 32
 * connections, a moment for them to reach the queue, then the consumer started; orders processed
 * per second from the first to the last one's `updated_at`.
 */
async function drainBacklog(system: SystemUnderTest, plan: ComparePlan, log: Log): Promise<SystemPerformance['drain']> {
  await system.consumer.stop();
  const ids: string[] = [];
  await placeOrders({ url: system.orders.url, connections: 32, amount: plan.drainOrders, seconds: 600, tag: `${tagOf(system)}-drain`, ids });
  // An outbox relay publishes after the commit; the dual-write baselines have published already.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const startedAt = Date.now();
  await system.consumer.start();
  const before = snapshot(system);
  await settleOutcomes(system, ids, plan.quietMs, plan.settleTimeoutMs);
  const timeToEmptyS = round((Date.now() - startedAt) / 1000, 1);
  const cpuMsPerOrder = ids.length ? withTotal(cpuPer(before, snapshot(system), ids.length)) : {};
  const { rows } = await system.ordersDb.query<{ n: string; span: number }>(
    `SELECT count(*) AS n, extract(epoch FROM max(updated_at) - min(updated_at)) AS span FROM orders WHERE id = ANY($1::uuid[]) AND status <> 'PENDING'`,
    [ids],
  );
  const drain = {
    orders: ids.length,
    perSecond: rows[0].span > 0 ? Math.round(Number(rows[0].n) / rows[0].span) : 0,
    timeToEmptyS,
    drainSpanS: round(rows[0].span, 1),
    cpuMsPerOrder,
  };
  log(`B9 ${system.name}: drain ${JSON.stringify(drain)}`);
  return drain;
}

/**
 * The system's name as an email's local part tags its orders (`nestRmq:defaults` has a colon, which
 * an email address may not have unquoted: every order would be refused with a 400).
 */
const tagOf = (system: SystemUnderTest) => system.name.replace(/[^A-Za-z0-9-]/g, '-');
