import { OPERATIONS_PREFIX, QUEUES, type DeadLetterGroupView, type GroupReplayResult } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import type { SystemDriver } from '../src/driver';
import { chaosScenario, sleep } from '../src/scenario';

/** A broken release, as the shop sees it: every decision inventory tries to record is refused. */
const FAULT_ON = `
  CREATE FUNCTION s11_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 's11: order_decisions refuses writes (order %)', NEW.order_id; END $$;
  CREATE TRIGGER s11_fault BEFORE INSERT ON order_decisions FOR EACH ROW EXECUTE FUNCTION s11_fault();`;
const FAULT_OFF = `DROP TRIGGER s11_fault ON order_decisions; DROP FUNCTION s11_fault();`;
const OPERATOR = 's11-operator';

async function inventoryOps<T>(system: SystemDriver, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(`${system.url('inventory-service')}${OPERATIONS_PREFIX.inventory}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${await system.adminToken()}`, 'content-type': 'application/json', 'x-operator': OPERATOR },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

const count = async (system: SystemDriver, sql: string, values: unknown[] = []) =>
  (await system.sql('inventory').query<{ count: number }>(sql, values)).rows[0].count;
const openLetters = (system: SystemDriver) => count(system, `SELECT count(*)::int AS count FROM dead_letters WHERE status = 'open'`);

chaosScenario({
  name: 'S11',
  title: 'a group of dead letters replayed while inventory (the replaying service) and order-service are SIGKILLed mid-replay',
  // Short retries, so the stream's messages reach the dead letters in seconds.
  serviceEnv: { RETRY_DELAYS_MS: '200,500', MAX_ATTEMPTS: '3' },
  beforeStream: async ({ system }) => {
    await system.sql('inventory').query(FAULT_ON);
  },
  afterStream: async ({ system, load, fault }) => {
    const accepted = load.stats.accepted;
    await waitFor(async () => (await openLetters(system)) >= accepted, { timeoutMs: 180_000, intervalMs: 1_000, what: `${accepted} dead letters kept` });
    await system.sql('inventory').query(FAULT_OFF);

    const groups = await inventoryOps<DeadLetterGroupView[]>(system, '/dead-letters/groups');
    if (groups.length !== 1) throw new Error(`expected the fault's one group, found ${JSON.stringify(groups)}`);
    const replay = { fingerprint: groups[0].fingerprint, ratePerSecond: 40, maxFailures: 10 };
    await inventoryOps<GroupReplayResult>(system, '/dead-letters/replay', { method: 'POST', body: replay });
    await waitFor(async () => (await openLetters(system)) <= accepted * 0.7, { timeoutMs: 60_000, intervalMs: 200, what: 'a third of the group replayed' });

    fault('SIGKILL inventory-service (replaying the group) and order-service');
    await Promise.all([system.kill('inventory-service'), system.kill('order-service')]);
    await sleep(2_000);
    await system.startService('inventory-service');
    await system.startService('order-service');

    // The operator sees the replay stopped with its service and replays what is still open.
    await inventoryOps<GroupReplayResult>(system, '/dead-letters/replay', { method: 'POST', body: replay });
    await waitFor(async () => (await openLetters(system)) === 0, { timeoutMs: 120_000, intervalMs: 500, what: 'every dead letter replayed' });
  },
  verify: async ({ system }, acceptedIds) => {
    const violations: string[] = [];
    const kept = await count(
      system,
      `SELECT count(DISTINCT payload->>'orderId')::int AS count FROM dead_letters WHERE queue = $1 AND payload->>'orderId' = ANY($2::text[])`,
      [QUEUES.inventoryOrderPlaced, acceptedIds],
    );
    if (kept !== acceptedIds.length) violations.push(`dead letters lost: ${acceptedIds.length - kept} accepted orders have none kept`);
    const unaudited = await count(
      system,
      `SELECT count(*)::int AS count FROM dead_letters d WHERE d.status = 'replayed'
         AND (SELECT count(*) FROM operator_actions a WHERE a.target = d.id::text AND a.action = 'replay' AND a.outcome = 'done') <> 1`,
    );
    if (unaudited > 0) violations.push(`${unaudited} replayed dead letters without exactly one audit row of their replay`);
    const replayedBy = await count(system, `SELECT count(*)::int AS count FROM dead_letters WHERE status = 'replayed' AND resolved_by <> $1`, [OPERATOR]);
    if (replayedBy > 0) violations.push(`${replayedBy} dead letters resolved by someone else than ${OPERATOR}`);
    const groupReplays = await system
      .sql('inventory')
      .query<{ outcome: string }>(`SELECT outcome FROM operator_actions WHERE action = 'group-replay' ORDER BY at`);
    if (groupReplays.rows.length !== 2 || !groupReplays.rows[1].outcome.startsWith('done:')) {
      violations.push(`the audit of the two group replays: ${JSON.stringify(groupReplays.rows)}`);
    }
    process.stdout.write(
      `S11: ${kept} dead letters kept for ${acceptedIds.length} accepted orders; group replays: ${groupReplays.rows.map((row) => row.outcome).join(' | ')}\n`,
    );
    return violations;
  },
});
