import { cpuPer, cpuSnapshot } from './cpu';
import { placeOrders, round, type IntakeResult } from './load';
import type { Shop } from './shop';

/** Intake figures of one mode: means over its turns. */
export interface GroupCommitFigures {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  /** CPU ms per accepted order: order-service, PostgreSQL (every backend on the machine) and the rest. */
  cpuMsPerOrder: Record<string, number>;
}

export interface GroupCommitResults {
  /** INTAKE_BATCH_MAX=1: one statement per order. */
  perOrder: Record<string, GroupCommitFigures>;
  /** INTAKE_BATCH_MAX unset: the service's default (group commit). */
  batched: Record<string, GroupCommitFigures>;
  /** batched / per-order, per connection count: orders/s, p99, and CPU per order of order-service and PostgreSQL. */
  ratios: Record<string, { rps: number; p99: number; orderServiceCpu: number; postgresCpu: number }>;
  turns: number;
}

export interface GroupCommitPlan {
  seconds: number;
  warmupSeconds: number;
  connections: readonly number[];
}

/**
 * Group commit against one statement per order: order-service restarted with INTAKE_BATCH_MAX=1 and
 * with its default, in turns (1, default, 1, default) so the machine's drift hits both alike;
 * intake with inventory up at each connection count, with CPU per order of each process. Each
 * figure is the mean of its mode's turns.
 */
export async function measureGroupCommit(shop: Shop, plan: GroupCommitPlan, log: (message: string) => void): Promise<GroupCommitResults> {
  const configured = shop.orders.env.INTAKE_BATCH_MAX;
  const turns: { batched: boolean; byConnections: Record<string, IntakeResult> }[] = [];
  try {
    for (const batched of [false, true, false, true]) {
      await shop.orders.stop();
      if (batched) delete shop.orders.env.INTAKE_BATCH_MAX;
      else shop.orders.env.INTAKE_BATCH_MAX = '1';
      await shop.orders.start();
      const mode = batched ? 'batched' : 'per-order';
      await placeOrders({ url: shop.orders.url, connections: 16, seconds: plan.warmupSeconds, tag: 'warmup' });
      await shop.quiesce();
      const byConnections: Record<string, IntakeResult> = {};
      for (const connections of plan.connections) {
        const pids = { orderService: shop.orders.pid, inventoryService: shop.inventory.pid };
        const before = cpuSnapshot(pids);
        const result = await placeOrders({
          url: shop.orders.url,
          connections,
          seconds: plan.seconds,
          tag: `groupcommit-${mode}-${turns.length}-c${connections}`,
        });
        result.cpuMsPerOrder = cpuPer(before, cpuSnapshot(pids), result.created);
        byConnections[`c${connections}`] = result;
        log(`B11 group commit, ${mode}, ${connections} connections: ${JSON.stringify(result)}`);
        await shop.quiesce();
      }
      turns.push({ batched, byConnections });
    }
  } finally {
    await shop.orders.stop();
    if (configured === undefined) delete shop.orders.env.INTAKE_BATCH_MAX;
    else shop.orders.env.INTAKE_BATCH_MAX = configured;
    await shop.orders.start();
  }
  const mean = (batched: boolean): Record<string, GroupCommitFigures> => {
    const mine = turns.filter((turn) => turn.batched === batched);
    // A figure a turn lacks (a process replaced meanwhile: see cpuPer) is left out of its mean, not counted as 0.
    const avg = (values: (number | undefined)[]) => {
      const known = values.filter((value): value is number => value !== undefined);
      return known.length === 0 ? NaN : round(known.reduce((sum, value) => sum + value, 0) / known.length, 2);
    };
    return Object.fromEntries(
      plan.connections.map((connections) => {
        const results = mine.map((turn) => turn.byConnections[`c${connections}`]);
        const processes = [...new Set(results.flatMap((r) => Object.keys(r.cpuMsPerOrder ?? {})))];
        return [
          `c${connections}`,
          {
            rps: Math.round(avg(results.map((r) => r.rps))),
            p50ms: avg(results.map((r) => r.p50ms)),
            p99ms: avg(results.map((r) => r.p99ms)),
            errors: results.reduce((sum, r) => sum + r.errors, 0),
            cpuMsPerOrder: Object.fromEntries(processes.map((name) => [name, avg(results.map((r) => r.cpuMsPerOrder?.[name]))])),
          },
        ];
      }),
    );
  };
  const perOrder = mean(false);
  const batched = mean(true);
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? round(a / b) : NaN);
  const ratios = Object.fromEntries(
    Object.keys(batched).map((key) => [
      key,
      {
        rps: ratio(batched[key].rps, perOrder[key].rps),
        p99: ratio(batched[key].p99ms, perOrder[key].p99ms),
        orderServiceCpu: ratio(batched[key].cpuMsPerOrder.orderService, perOrder[key].cpuMsPerOrder.orderService),
        postgresCpu: ratio(batched[key].cpuMsPerOrder.postgres, perOrder[key].cpuMsPerOrder.postgres),
      },
    ]),
  );
  return { perOrder, batched, ratios, turns: turns.length };
}
