import { connect } from 'amqplib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RabbitMqCluster } from './rabbitmq-cluster';
import { waitFor } from './wait';

jest.setTimeout(300_000);

const sorted = (indexes: number[]): number[] => [...indexes].sort((a, b) => a - b);

async function readAll(url: string, queue: string): Promise<string[]> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    const bodies: string[] = [];
    for (let message = await channel.get(queue, { noAck: true }); message; message = await channel.get(queue, { noAck: true })) {
      bodies.push(message.content.toString());
    }
    return bodies;
  } finally {
    await connection.close();
  }
}

describe('RabbitMqCluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rabbitmq-cluster-'));
  const cluster = new RabbitMqCluster(dir);

  afterAll(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replicates a quorum queue on all three nodes and keeps its confirmed messages when the leader is killed', async () => {
    await cluster.start();
    const vhost = await cluster.createVhost('cluster_spec');
    for (const url of vhost.urls) {
      const connection = await connect(url);
      await connection.close();
    }

    // Declared through node 1: RabbitMQ 3.10 puts the leader on the node the client is connected to.
    const connection = await connect(vhost.urls[1]);
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue('orders', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const sent = Array.from({ length: 100 }, (_, n) => String(n));
    for (const body of sent) channel.sendToQueue('orders', Buffer.from(body), { persistent: true });
    await channel.waitForConfirms();
    await connection.close();

    const before = await cluster.queueMembers(vhost.name, 'orders');
    expect(before.leader).toBe(1);
    expect(sorted(before.members)).toEqual([0, 1, 2]);
    expect(sorted(before.online)).toEqual([0, 1, 2]);

    await cluster.kill(1);
    const after = await waitFor(
      async () => {
        const members = await cluster.queueMembers(vhost.name, 'orders');
        return members.leader >= 0 && members.leader !== 1 && members;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'a new leader of orders' },
    );
    expect(sorted(after.online)).toEqual([0, 2]);

    await cluster.startNode(1);
    expect(sorted((await cluster.queueMembers(vhost.name, 'orders')).online)).toEqual([0, 1, 2]);
    // Read through the node that was killed: every confirmed message, in order.
    expect(await readAll(vhost.urls[1], 'orders')).toEqual(sent);
    await vhost.remove();
  });
});
