import { QUEUES } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import { queueDepths } from '../src/promise-check';
import { chaosScenario, sleep } from '../src/scenario';

chaosScenario({
  name: 'S3',
  title: 'RabbitMQ killed with SIGKILL mid-stream, holding a backlog, and started again on its data',
  ownBroker: true,
  duringStream: async ({ system, fault }) => {
    // Give the broker something to lose: order.placed messages at rest in its quorum queue.
    await system.stopService('inventory-service');
    const backlog = await waitFor(
      async () => {
        const depth = (await queueDepths(system, [QUEUES.inventoryOrderPlaced])).get(QUEUES.inventoryOrderPlaced)!;
        return depth >= 200 && depth;
      },
      { timeoutMs: 120_000, intervalMs: 250, what: `a backlog in ${QUEUES.inventoryOrderPlaced}` },
    );
    fault('SIGKILL the broker');
    await system.kill('rabbitmq');
    process.stdout.write(`S3: broker killed holding at least ${backlog} order.placed messages\n`);
    // Inventory comes back while the broker is still down, then the broker returns.
    await system.startService('inventory-service');
    await sleep(3_000);
    await system.startService('rabbitmq');
  },
});
