// A hand check of this baseline under the three faults, outside the bench (which has its own harness):
// `pnpm exec tsx baselines/nest-rmq/check-faults.ts defaults|ack [plain|orders|consumer|broker]` from bench/.
import { waitFor } from '@shop/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { randomOrder } from '../../src/load';
import { startNestRmq } from '../../src/systems/nest-rmq';
import type { SystemUnderTest } from '../../src/system';

const setting = process.argv[2] as 'defaults' | 'ack';
const only = process.argv[3];
const log = (m: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${m}`);

interface Run {
  ids: string[];
  errors: Record<string, number>;
}

/** Posts `total` orders over `concurrency` loops; `onAccepted` sees the count after each 201. */
async function post(sut: SystemUnderTest, total: number, concurrency: number, tag: string, onAccepted?: (n: number) => void): Promise<Run> {
  const run: Run = { ids: [], errors: {} };
  let sent = 0;
  const loop = async () => {
    while (sent < total) {
      sent++;
      try {
        const response = await fetch(`${sut.orders.url}/api/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `v-${randomUUID()}` },
          body: JSON.stringify(randomOrder(tag)),
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await response.json()) as { id?: string };
        if (response.status === 201) {
          run.ids.push(body.id!);
          onAccepted?.(run.ids.length);
        } else run.errors[String(response.status)] = (run.errors[String(response.status)] ?? 0) + 1;
      } catch (err) {
        const name = (err as Error).name === 'TimeoutError' ? 'timeout' : 'refused';
        run.errors[name] = (run.errors[name] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return run;
}

async function settle(sut: SystemUnderTest, ids: string[], what: string) {
  const startedAt = Date.now();
  await waitFor(() => sut.idle(), { timeoutMs: 240_000, intervalMs: 500, what: `${what} idle` }).catch((e) => log(`not idle: ${e.message}`));
  const outcomes = await sut.outcomes(ids);
  log(`${sut.name} ${what}: accepted ${ids.length}, ${JSON.stringify(outcomes)} (idle after ${(Date.now() - startedAt) / 1000} s)`);
  return outcomes;
}

async function main() {
  const dir = mkdtempSync(`/tmp/nestrmq-${setting}-`);
  const sut = await startNestRmq(dir, setting, log);
  try {
    if (!only || only === 'plain') {
      const t0 = Date.now();
      const r = await post(sut, 500, 16, 'plain');
      log(`plain: ${r.ids.length} accepted in ${(Date.now() - t0) / 1000} s, errors ${JSON.stringify(r.errors)}`);
      await settle(sut, r.ids, 'no fault');
    }
    if (!only || only === 'orders') {
      let killed = false;
      const r = await post(sut, 500, 16, 'kill-orders', (n) => {
        if (n === 150 && !killed) {
          killed = true;
          void sut.orders.kill().then(async () => {
            log('orders process SIGKILLed; starting it again');
            await sut.orders.start();
            log('orders process up again');
          });
        }
      });
      log(`orders kill: errors ${JSON.stringify(r.errors)}`);
      await settle(sut, r.ids, 'orders SIGKILLed');
    }
    if (!only || only === 'consumer') {
      // A backlog first (consumer busy), then the kill once part of it is applied.
      const before = Number((await sut.stockDb.query(`SELECT count(DISTINCT order_id) AS n FROM reservations`)).rows[0].n);
      const posting = post(sut, 500, 16, 'kill-consumer');
      await waitFor(async () => Number((await sut.stockDb.query(`SELECT count(DISTINCT order_id) AS n FROM reservations`)).rows[0].n) >= before + 150, {
        timeoutMs: 60_000,
        intervalMs: 20,
        what: '150 reserved',
      });
      await sut.consumer.kill();
      log('consumer SIGKILLed mid-batch');
      const r = await posting;
      await sut.consumer.start();
      log(`consumer up again; intake errors ${JSON.stringify(r.errors)}`);
      await settle(sut, r.ids, 'consumer SIGKILLed');
    }
    if (!only || only === 'broker') {
      let killedAt = 0;
      let restarted: Promise<void> = Promise.resolve();
      const r = await post(sut, 500, 16, 'kill-broker', (n) => {
        if (n === 150 && !killedAt) {
          killedAt = Date.now();
          restarted = sut.queue.kill().then(async () => {
            log('broker SIGKILLed; starting it again in 3 s');
            await new Promise((res) => setTimeout(res, 3_000));
            await sut.queue.start();
            log(`broker up again after ${(Date.now() - killedAt) / 1000} s`);
          });
        }
      });
      log(`broker kill: errors ${JSON.stringify(r.errors)}`);
      const during = await post(sut, 50, 4, 'while-broker-down');
      log(`while the broker is down: 50 more, ${during.ids.length} accepted, errors ${JSON.stringify(during.errors)}`);
      await restarted;
      const firstAfter = Date.now();
      // Does the app answer again (and publish) after the broker is back?
      await waitFor(async () => (await post(sut, 20, 4, 'after-broker')).ids.length === 20, {
        timeoutMs: 60_000,
        intervalMs: 1000,
        what: 'orders answering 201 again',
      })
        .then(() => log(`orders app answers 201 again ${(Date.now() - firstAfter) / 1000} s after the broker is back`))
        .catch((e) => log(e.message));
      const after = await post(sut, 50, 4, 'after-broker-2');
      log(`after broker back: 50 more, ${after.ids.length} accepted, errors ${JSON.stringify(after.errors)}`);
      await settle(sut, r.ids, 'broker SIGKILLed');
      await settle(sut, during.ids, 'orders placed while the broker was down');
      await settle(sut, after.ids, 'orders placed after the broker came back');
    }
  } finally {
    log(`orders log tail:\n${sut.orders.logTail(8)}\nconsumer log tail:\n${sut.consumer.logTail(8)}`);
    await sut.close();
  }
}
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
