import { RabbitMqCluster } from '@shop/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One three-node RabbitMQ cluster for the scenarios of a test file (forming one takes a while):
 * each scenario gets a vhost of its own on it, so queues never carry over, and finds every node
 * running, whatever the previous scenario killed or froze.
 */
let cluster: { cluster: RabbitMqCluster; dir: string } | null = null;

export async function sharedCluster(): Promise<RabbitMqCluster> {
  if (!cluster) {
    const dir = mkdtempSync(join(tmpdir(), 'shop-e2e-cluster-'));
    const started = Date.now();
    const formed = new RabbitMqCluster(dir);
    cluster = { cluster: formed, dir };
    await formed.start();
    process.stdout.write(`RabbitMQ cluster of ${formed.nodes.length} nodes formed in ${Math.round((Date.now() - started) / 1000)} s\n`);
    return formed;
  }
  const current = cluster.cluster;
  for (const [index, node] of current.nodes.entries()) {
    if (node.isFrozen) await current.thawAndHeal(index);
    if (!node.running) await current.startNode(index);
  }
  await current.waitForHealed();
  await current.waitForQuorum();
  return current;
}

/** Stops the cluster (after the file's last scenario) and removes its data. */
export async function stopSharedCluster(): Promise<void> {
  if (!cluster) return;
  const { cluster: current, dir } = cluster;
  cluster = null;
  await current.stop();
  if (!process.env.E2E_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
}
