import { waitFor } from '@shop/testing';
import type { Pool } from 'pg';
import { chaosScenario, sleep } from '../src/scenario';

const unpublished = async (orders: Pool) =>
  (await orders.query<{ count: number }>(`SELECT count(*)::int AS count FROM outbox WHERE published_at IS NULL`)).rows[0].count;

chaosScenario({
  name: 'S2',
  title: 'order-service killed with SIGKILL mid-stream, with accepted orders still in its outbox',
  duringStream: async ({ system, fault }) => {
    const orders = system.sql('orders');
    // Strike while accepted orders wait in the outbox (the relay publishes within moments).
    await waitFor(async () => (await unpublished(orders)) > 0, { timeoutMs: 60_000, intervalMs: 5, what: 'accepted orders waiting in the outbox' });
    fault('SIGKILL order-service');
    await system.kill('order-service');
    process.stdout.write(`S2: order-service killed with ${await unpublished(orders)} accepted order(s) not yet published from its outbox\n`);
    // Meanwhile the load client's requests fail to connect and are retried with the same key.
    await sleep(3_000);
    await system.startService('order-service');
  },
});
