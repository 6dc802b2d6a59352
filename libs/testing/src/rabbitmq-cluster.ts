import { connect } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { RabbitMqNode } from './rabbitmq-node';
import { waitFor } from './wait';

export interface RabbitMqClusterOptions {
  /** Nodes in the cluster; 3 by default, the smallest that survives the loss of one. */
  size?: number;
  /**
   * Erlang distribution tick: a node that answers nothing (frozen, partitioned) is declared down
   * after about this long. 10 s by default, so a freeze is noticed within a test; RabbitMQ's is 60.
   */
  netTicktimeSeconds?: number;
}

export interface QuorumQueueMembers {
  /** Node indexes; -1 while no leader is elected. */
  leader: number;
  members: number[];
  online: number[];
}

interface QueueRow {
  name: string;
  type: string;
  leader?: string;
  members?: string[];
  online?: string[];
}

/**
 * A RabbitMQ cluster of this run only, formed by RabbitMQ's own clustering: every node lists all
 * nodes for `classic_config` peer discovery and shares one Erlang cookie; a minority side of a
 * partition is restarted once it is over (`autoheal`). Each node has its own ports and data in `dir/node-<n>`,
 * so a node killed and started again recovers from its disk and rejoins. A quorum queue declared
 * on it gets a member on each of up to three nodes (RabbitMQ 3.10's default initial group size),
 * its leader on the node the declaring client is connected to.
 */
export class RabbitMqCluster {
  readonly nodes: RabbitMqNode[];

  constructor(dir: string, options: RabbitMqClusterOptions = {}) {
    const size = options.size ?? 3;
    const tick = options.netTicktimeSeconds ?? 10;
    const run = randomBytes(4).toString('hex');
    const names = Array.from({ length: size }, (_, i) => `e2e-${run}-${i + 1}@localhost`);
    const cookie = randomBytes(20).toString('hex').toUpperCase();
    const config = [
      'cluster_formation.peer_discovery_backend = classic_config',
      ...names.map((name, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${name}`),
      // Every queue here is a quorum queue, so a majority decides about messages whatever this
      // says; it decides about the metadata (vhosts, users, bindings). A node resumed after a
      // freeze never saw itself in a minority, so pause_minority leaves it partitioned, with a
      // metadata view of its own (seen in S7 then S9: a vhost created during it existed on one
      // side only). autoheal restarts the losing side once the partition is over.
      'cluster_partition_handling = autoheal',
      `net_ticktime = ${tick}`,
    ];
    this.nodes = names.map((nodeName, i) => new RabbitMqNode(join(dir, `node-${i + 1}`), { nodeName, config, cookie, netTicktimeSeconds: tick }));
  }

  /** One AMQP URL per node, in node order. */
  urls(vhost = '/'): string[] {
    return this.nodes.map((node) => node.vhostUrl(vhost));
  }

  /**
   * Node 1 first: a node that finds none of its peers running starts a cluster of its own, so the
   * others start only once it runs, and each then joins it.
   */
  async start(): Promise<void> {
    for (const node of this.nodes) await node.start();
    await this.waitForRunning(this.nodes.map((_, i) => i));
  }

  /** Every node, gracefully (SIGKILL after 30 s), at once. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }

  async kill(i: number): Promise<void> {
    await this.node(i).kill();
  }

  async stopNode(i: number): Promise<void> {
    await this.node(i).stop();
  }

  /** Resolves once the node runs, is back in the cluster and every quorum queue has all its members online. */
  async startNode(i: number): Promise<void> {
    await this.node(i).start();
    await this.waitForRunning(this.nodes.flatMap((node, n) => (node.running && !node.isFrozen ? [n] : [])));
    await this.waitForQuorum();
  }

  freeze(i: number): void {
    this.node(i).freeze();
  }

  thaw(i: number): void {
    this.node(i).thaw();
  }

  /** A vhost on the cluster (every node serves it) that guest may use fully. */
  async createVhost(name: string): Promise<{ name: string; urls: string[]; remove(): Promise<void> }> {
    await this.rabbitmqctl(['add_vhost', name]);
    await this.rabbitmqctl(['set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
    // add_vhost starts the vhost on the other nodes by RPC; on a loaded machine a node can miss it
    // and then refuses every connection to the vhost ("vhost is down") while it runs. Resolve only
    // once every running node serves it, restarting it on a node that does not.
    for (const [i, node] of this.nodes.entries()) {
      if (!node.running || node.isFrozen) continue;
      await waitFor(
        async () => {
          try {
            const connection = await connect(node.vhostUrl(name));
            await connection.close();
            return true;
          } catch {
            await node.cli('rabbitmqctl', ['restart_vhost', '-p', name]).catch(() => undefined);
            return false;
          }
        },
        { timeoutMs: 60_000, intervalMs: 1_000, what: `vhost ${name} served by node ${i + 1}` },
      );
    }
    return { name, urls: this.urls(name), remove: () => this.rabbitmqctl(['delete_vhost', name]).then(() => undefined) };
  }

  async queueMembers(vhost: string, queue: string): Promise<QuorumQueueMembers> {
    const row = (await this.queues(vhost)).find((q) => q.name === queue);
    if (!row) throw new Error(`no queue ${queue} in vhost ${vhost}`);
    if (row.type !== 'quorum') throw new Error(`queue ${queue} in vhost ${vhost} is a ${row.type} queue, not a quorum queue`);
    return this.membersOf(row);
  }

  /** Until every quorum queue (of `vhost`, or of every vhost) has a leader and all its members online. */
  async waitForQuorum(vhost?: string, timeoutMs = 120_000): Promise<void> {
    await waitFor(
      async () => {
        const vhosts = vhost ? [vhost] : (await this.rabbitmqctl(['list_vhosts', 'name', '--silent'])).split('\n').filter(Boolean);
        for (const v of vhosts) {
          for (const row of await this.queues(v)) {
            if (row.type !== 'quorum') continue;
            const { leader, members, online } = this.membersOf(row);
            if (leader < 0 || online.length < members.length)
              throw new Error(`${v}/${row.name}: leader ${leader}, members ${members.join(',')}, online ${online.join(',')}`);
          }
        }
        return true;
      },
      { timeoutMs, intervalMs: 500, what: `every quorum queue${vhost ? ` of ${vhost}` : ''} to have all members online` },
    );
  }

  /**
   * Resumes frozen node `i` and resolves once the partition its freeze made is over, saying how it
   * ended. autoheal restarts the losing side within seconds, but not always: in RabbitMQ 3.10, as the
   * resumed node reconnects to the others one at a time, the coordinator can decide twice on two
   * different views (first a healthy node loses and restarts, then the resumed one), and then loops:
   * every 60 s the winner finds the loser down, aborts, and tells it to restart again (seen in CI in
   * S7, and reproduced here with no client at all: of 23 freezes, 4 healed at the winner's second
   * turn 63-73 s after the thaw and 4 not within 90 s). After `graceMs` this does what RabbitMQ's
   * documentation says to do with a partition nothing healed: restart the losing side, here the
   * node that was frozen. That can leave a node that still lists the partition while all three run
   * and see each other (seen: node 1 listed node 3 for minutes); restarting that node's `rabbit`
   * application clears its list.
   */
  async thawAndHeal(i: number, graceMs = 90_000): Promise<{ healedBy: 'autoheal' | 'restart'; seconds: number }> {
    const started = Date.now();
    const seconds = () => Math.round((Date.now() - started) / 1000);
    this.thaw(i);
    try {
      await this.waitForHealed(graceMs);
      return { healedBy: 'autoheal', seconds: seconds() };
    } catch {
      await this.stopNode(i);
      await this.node(i).start();
    }
    try {
      await this.waitForHealed(30_000);
    } catch {
      // A node that does not answer is left to the last wait, which names what is still wrong.
      for (const n of await this.nodesListingPartitions()) {
        await this.rabbitmqctl(['stop_app'], n).catch(() => undefined);
        await this.rabbitmqctl(['start_app'], n).catch(() => undefined);
      }
      await this.waitForHealed();
    }
    return { healedBy: 'restart', seconds: seconds() };
  }

  /** The running nodes whose `cluster_status` lists a partition (a node that does not answer is not counted). */
  private async nodesListingPartitions(): Promise<number[]> {
    const listing: number[] = [];
    for (const [n, node] of this.nodes.entries()) {
      if (!node.running || node.isFrozen) continue;
      if ((await this.status(n).catch(() => ({ partitions: 0 }))).partitions > 0) listing.push(n);
    }
    return listing;
  }

  private async status(n: number): Promise<{ runningNodes: string[]; partitions: number }> {
    const status = JSON.parse(await this.rabbitmqctl(['cluster_status', '--formatter', 'json'], n)) as {
      running_nodes: string[];
      partitions?: Record<string, unknown> | unknown[];
    };
    const partitions = Array.isArray(status.partitions) ? status.partitions.length : Object.keys(status.partitions ?? {}).length;
    return { runningNodes: status.running_nodes, partitions };
  }

  /** Until every running node sees all the running nodes and no partition (autoheal restarts a losing side). */
  async waitForHealed(timeoutMs = 180_000): Promise<void> {
    const running = this.nodes.flatMap((node, i) => (node.running && !node.isFrozen ? [i] : []));
    const expected = running.map((i) => this.nodes[i].nodeName);
    await waitFor(
      async () => {
        for (const i of running) {
          const { runningNodes, partitions } = await this.status(i);
          const missing = expected.filter((name) => !runningNodes.includes(name));
          if (partitions > 0 || missing.length > 0)
            throw new Error(`node ${i + 1}: ${partitions} partition(s)${missing.length ? `, not running: ${missing.join(', ')}` : ''}`);
        }
        return true;
      },
      { timeoutMs, intervalMs: 1_000, what: 'the cluster whole again, without partitions' },
    );
  }

  /** rabbitmqctl against node `i`, or the first node that runs and is not frozen. */
  async rabbitmqctl(args: string[], i?: number): Promise<string> {
    return this.node(i ?? this.firstResponsive()).cli('rabbitmqctl', args);
  }

  private async queues(vhost: string): Promise<QueueRow[]> {
    const out = await this.rabbitmqctl(['list_queues', '-p', vhost, 'name', 'type', 'leader', 'members', 'online', '--formatter', 'json']);
    return JSON.parse(out) as QueueRow[];
  }

  private membersOf(row: QueueRow): QuorumQueueMembers {
    return {
      leader: this.indexOf(row.leader),
      members: (row.members ?? []).map((m) => this.indexOf(m)),
      online: (row.online ?? []).map((m) => this.indexOf(m)),
    };
  }

  private indexOf(nodeName: string | undefined): number {
    return this.nodes.findIndex((node) => node.nodeName === nodeName);
  }

  private async waitForRunning(indexes: number[]): Promise<void> {
    const expected = indexes.map((i) => this.nodes[i].nodeName);
    await waitFor(
      async () => {
        const status = JSON.parse(await this.rabbitmqctl(['cluster_status', '--formatter', 'json'], indexes[0])) as { running_nodes: string[] };
        const missing = expected.filter((name) => !status.running_nodes.includes(name));
        if (missing.length > 0) throw new Error(`not running: ${missing.join(', ')}`);
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: `cluster status to show ${expected.join(', ')} running` },
    );
  }

  private firstResponsive(): number {
    const i = this.nodes.findIndex((node) => node.running && !node.isFrozen);
    if (i < 0) throw new Error('no node of the cluster is running');
    return i;
  }

  private node(i: number): RabbitMqNode {
    const node = this.nodes[i];
    if (!node) throw new Error(`no node ${i} in a cluster of ${this.nodes.length}`);
    return node;
  }
}
