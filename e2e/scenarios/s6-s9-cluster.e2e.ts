import { QUEUES } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import { stopSharedCluster } from '../src/cluster';
import type { SystemDriver } from '../src/driver';
import { deadLetterQueues, workQueues } from '../src/promise-check';
import { chaosScenario, sleep } from '../src/scenario';

// S6-S9 share one three-node RabbitMQ cluster (a vhost each): forming it takes a while, and each
// scenario starts with every node running and every quorum queue whole again.
afterAll(() => stopSharedCluster());

const LEADER_ELECTED_WITHIN_MS = 60_000;

/** Until a node other than `gone` leads the inventory queue: the cluster elected a new leader. */
async function newLeaderElected(system: SystemDriver, gone: number): Promise<number> {
  return waitFor(
    async () => {
      const { leader } = await system.quorumQueue(QUEUES.inventoryOrderPlaced).catch(() => ({ leader: -1 }));
      return leader >= 0 && leader !== gone && leader + 1;
    },
    { timeoutMs: LEADER_ELECTED_WITHIN_MS, intervalMs: 500, what: `a leader of ${QUEUES.inventoryOrderPlaced} other than node ${gone + 1}` },
  ).then((leader) => leader - 1);
}

/** Every queue the services declared (main, retry and dead-letter) is a quorum queue with a member on each node. */
async function replicatedOnEveryNode(system: SystemDriver): Promise<void> {
  const queues = [...workQueues(system), ...deadLetterQueues(system)];
  for (const queue of queues) {
    const { members } = await system.quorumQueue(queue);
    if (members.length !== system.instances('rabbitmq'))
      throw new Error(`${queue} has ${members.length} members, not one on each of the ${system.instances('rabbitmq')} nodes`);
  }
  process.stdout.write(`S6: ${queues.length} quorum queues, each with ${system.instances('rabbitmq')} members\n`);
}

chaosScenario({
  name: 'S6',
  title: 'the RabbitMQ node leading inventory.order-placed SIGKILLed mid-stream, started again later',
  brokerNodes: 3,
  beforeStream: ({ system }) => replicatedOnEveryNode(system),
  duringStream: async ({ system, fault }) => {
    const { leader } = await system.quorumQueue(QUEUES.inventoryOrderPlaced);
    fault(`SIGKILL broker node ${leader + 1}, the leader of ${QUEUES.inventoryOrderPlaced}`);
    await system.kill('rabbitmq', leader);
    const next = await newLeaderElected(system, leader);
    process.stdout.write(`S6: node ${next + 1} leads ${QUEUES.inventoryOrderPlaced} now; the stream goes on with one node down\n`);
    await sleep(15_000);
    await system.startService('rabbitmq', leader);
  },
});

chaosScenario({
  name: 'S7',
  title: 'one RabbitMQ node frozen (SIGSTOP) past the cluster tick timeout, then resumed: a partition',
  brokerNodes: 3,
  duringStream: async ({ system, fault }) => {
    // The leader: the majority must elect another, and the frozen one must not keep taking messages.
    const { leader: frozen } = await system.quorumQueue(QUEUES.inventoryOrderPlaced);
    fault(`SIGSTOP broker node ${frozen + 1}, the leader of ${QUEUES.inventoryOrderPlaced}`);
    await system.freeze('rabbitmq', frozen);
    const next = await newLeaderElected(system, frozen);
    process.stdout.write(`S7: node ${next + 1} leads ${QUEUES.inventoryOrderPlaced} while node ${frozen + 1} is frozen\n`);
    // Past net_ticktime (10 s for this cluster): the others have declared it down.
    await sleep(25_000);
    await system.thaw('rabbitmq', frozen);
  },
});

chaosScenario({
  name: 'S8',
  title: 'two order-service and two inventory-service instances, one of each SIGKILLed again and again',
  brokerNodes: 3,
  replicas: 2,
  duringStream: async ({ system, fault }) => {
    for (let round = 0; round < 4; round++) {
      const instance = round % 2;
      fault(`SIGKILL order-service #${instance + 1} and inventory-service #${instance + 1}`);
      await Promise.all([system.kill('order-service', instance), system.kill('inventory-service', instance)]);
      await sleep(3_000);
      await Promise.all([system.startService('order-service', instance), system.startService('inventory-service', instance)]);
      await sleep(2_000);
    }
  },
});

chaosScenario({
  name: 'S9',
  title: 'rolling restart of the three RabbitMQ nodes, one at a time, under load (the upgrade drill)',
  brokerNodes: 3,
  duringStream: async ({ system, fault }) => {
    for (let node = 0; node < system.instances('rabbitmq'); node++) {
      fault(`stop broker node ${node + 1} (SIGTERM)`);
      await system.stopService('rabbitmq', node);
      await sleep(2_000);
      // Resolves once the node is back in the cluster and every quorum queue has all its members:
      // only then is the next one taken down, as an operator would.
      await system.startService('rabbitmq', node);
    }
  },
});
