import { offerOrders, round } from './load';
import type { Outcomes, SystemUnderTest } from './system';

export interface FaultPlan {
  /** Orders offered per second (open loop) during each fault's run. */
  rate: number;
  /** Length of each run; the fault strikes at its middle. */
  seconds: number;
  /** How long the outcomes must stay unchanged, with every process up and the system idle, to count as settled. */
  quietMs: number;
  /** The longest wait for the system to settle after a run. */
  settleTimeoutMs: number;
}

export const FAULTS = ['ordersKilled', 'queueKilled', 'consumerKilled'] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultLosses {
  /** Orders answered 201: the only ones the system promised to process. */
  accepted: number;
  settled: number;
  /** Accepted orders still PENDING or not stored at all once the system settled. */
  lost: number;
  pending: number;
  missing: number;
  appliedTwice: number;
  /** Stock units taken that no reservation explains, where the system can tell. */
  unexplainedUnits?: number;
  /** POSTs not answered 201 (refused or failed during the fault): not promised, not counted as lost. */
  refused: number;
  /**
   * Of those, orders stored all the same and still PENDING once the system settled: committed, never
   * queued, never answered (the dual write's victims). The shopper saw an error; the order sits
   * in the database for ever, and a retry with the same Idempotency-Key finds it taken.
   */
  stranded: number;
  /** From the end of the run until the outcomes settled. */
  settleS: number;
  /** Whether the outcomes stopped changing with nothing pending, or the wait ran out. */
  settledCleanly: boolean;
  /** Up to 10 lost order ids, as evidence. */
  lostIds?: string[];
}

type Log = (message: string) => void;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * B10: what a system loses under three faults, each during an open-loop paced load of its own
 * (fresh tag, fresh ids): order-service's process SIGKILLed and started again 2 s later; the queue
 * server SIGKILLed and started again 3 s later; the consumer SIGKILLed mid-batch (stopped, a backlog
 * of 2 s of orders let pile up, started, SIGKILLed as soon as it has processed some of the backlog,
 * started again). Only 201 answers count as accepted; then every process runs, and the counts are
 * taken once the system is idle and they stop changing.
 */
export async function measureLosses(system: SystemUnderTest, plan: FaultPlan, log: Log): Promise<Record<Fault, FaultLosses>> {
  const losses = {} as Record<Fault, FaultLosses>;
  for (const fault of FAULTS) {
    losses[fault] = await underFault(system, fault, plan, log);
    log(`B10 ${system.name}, ${fault}: ${JSON.stringify(losses[fault])}`);
  }
  return losses;
}

async function underFault(system: SystemUnderTest, fault: Fault, plan: FaultPlan, log: Log): Promise<FaultLosses> {
  const ids: string[] = [];
  const load = offerOrders({ url: system.orders.url, rate: plan.rate, seconds: plan.seconds, tag: `fault-${fault}`, ids });
  await sleep((plan.seconds * 1000) / 2);
  if (fault === 'ordersKilled') {
    await system.orders.kill();
    log(`B10 ${system.name}: orders process SIGKILLed with ${ids.length} orders accepted`);
    await sleep(2_000);
    await system.orders.start();
  } else if (fault === 'queueKilled') {
    await system.queue.kill();
    log(`B10 ${system.name}: queue server SIGKILLed with ${ids.length} orders accepted`);
    await sleep(3_000);
    await system.queue.start();
  } else {
    await consumerKilledMidBatch(system, ids, log);
  }
  const answered = await load;
  const endedAt = Date.now();

  const { outcomes, settledCleanly } = await settleOutcomes(system, ids, plan.quietMs, plan.settleTimeoutMs);
  const { rows: stranded } = await system.ordersDb.query<{ count: string }>(
    `SELECT count(*) FROM orders WHERE customer_email = $1 AND status = 'PENDING' AND NOT (id = ANY($2::uuid[]))`,
    [`fault-${fault}@bench.example`, ids],
  );
  const lost = outcomes.pending + outcomes.missing;
  const result: FaultLosses = {
    accepted: ids.length,
    settled: outcomes.settled,
    lost,
    pending: outcomes.pending,
    missing: outcomes.missing,
    appliedTwice: outcomes.appliedTwice,
    ...(outcomes.unexplainedUnits !== undefined ? { unexplainedUnits: outcomes.unexplainedUnits } : {}),
    refused: answered.errors,
    stranded: Number(stranded[0].count),
    settleS: round((Date.now() - endedAt) / 1000, 1),
    settledCleanly,
  };
  if (lost > 0) result.lostIds = await lostIds(system, ids);
  return result;
}

/**
 * The consumer stopped while 2 s of orders pile up (longer, up to 10 s, on a machine so busy that
 * fewer than 50 were accepted), started, and SIGKILLed as soon as it has settled part of that
 * backlog, or 200 ms after it reports ready, whichever comes first: mid-batch, deliveries in flight.
 */
async function consumerKilledMidBatch(system: SystemUnderTest, ids: string[], log: Log): Promise<void> {
  await system.consumer.stop();
  const from = ids.length;
  const stoppedAt = Date.now();
  await sleep(2_000);
  while (ids.length - from < 50 && Date.now() - stoppedAt < 10_000) await sleep(100);
  const backlog = ids.slice(from);
  const before = (await system.outcomes(backlog)).settled;
  let readyAt = Infinity;
  const starting = system.consumer.start().then(
    () => (readyAt = Date.now()),
    () => undefined,
  );
  const startedAt = Date.now();
  // Polled often: a fast consumer takes a backlog of a few hundred orders in well under a second.
  let settled = 0;
  while (Date.now() - startedAt < 60_000 && Date.now() - readyAt < 200) {
    settled = (await system.outcomes(backlog)).settled - before;
    if (settled > 0) break;
    await sleep(20);
  }
  await system.consumer.kill();
  await starting;
  log(`B10 ${system.name}: consumer SIGKILLed ${Date.now() - startedAt} ms after its start, ${settled} of a ${backlog.length}-order backlog settled`);
  await system.consumer.start();
}

/**
 * Waits until these orders are all processed (nothing pending or missing, the system idle), or the
 * system is idle and their outcomes have not changed for `quietMs` (what is pending then is lost);
 * bounded by `timeoutMs`. Never throws on a timeout: the outcomes so far are the answer.
 */
export async function settleOutcomes(
  system: SystemUnderTest,
  ids: string[],
  quietMs: number,
  timeoutMs: number,
): Promise<{ outcomes: Outcomes; settledCleanly: boolean }> {
  const startedAt = Date.now();
  let last = '';
  let stableSince = Date.now();
  for (;;) {
    const outcomes = await system.outcomes(ids);
    const idle = await system.idle().catch(() => false);
    const now = JSON.stringify(outcomes);
    if (now !== last) [last, stableSince] = [now, Date.now()];
    if (idle && (outcomes.pending + outcomes.missing === 0 || Date.now() - stableSince >= quietMs)) return { outcomes, settledCleanly: true };
    if (Date.now() - startedAt > timeoutMs) return { outcomes, settledCleanly: false };
    await sleep(500);
  }
}

async function lostIds(system: SystemUnderTest, ids: string[]): Promise<string[]> {
  const { rows } = await system.ordersDb.query<{ id: string }>(`SELECT id FROM orders WHERE id = ANY($1::uuid[]) AND status <> 'PENDING'`, [ids]);
  const settled = new Set(rows.map((row) => row.id));
  return ids.filter((id) => !settled.has(id)).slice(0, 10);
}
