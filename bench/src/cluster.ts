import { QUEUES } from '@shop/contracts';
import { RabbitMqCluster, RabbitMqNode, waitFor } from '@shop/testing';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cpuPer, cpuSnapshot } from './cpu';
import { drainBacklog, type DrainResult } from './drain';
import { offerOrders, placeOrders, round, type IntakeResult } from './load';
import { count, Shop, type ShopBroker } from './shop';

export interface ClusterPlan {
  seconds: number;
  warmupSeconds: number;
  e2eSeconds: number;
  rates: readonly number[];
  drainOrders: number;
  /** S6: orders offered per second, and for how long; the leader is killed a quarter of the way in. */
  s6Rate: number;
  s6Seconds: number;
  settleTimeoutMs: number;
}

/** The same figures on one broker setup, so one node and three can be compared. */
export interface BrokerFigures {
  nodes: number;
  /** 32 connections, inventory up. */
  intake: IntakeResult;
  e2e: Record<string, { offeredPerSecond: number; acceptedPerSecond: number; confirmed: number; p50ms: number; p99ms: number; maxMs: number }>;
  drain: DrainResult;
}

/** S6: SIGKILL the node leading inventory.order-placed under load, then the drain with that node still down. */
export interface LeaderKilled {
  killedNode: number;
  newLeader: number;
  offeredPerSecond: number;
  /** Orders stored during S6 (an order whose answer timed out on a busy machine is stored all the same). */
  accepted: number;
  /** POSTs answered with other than 201 or not within 10 s. */
  intakeErrors: number;
  /** Accepted orders that reached CONFIRMED once the system settled (enough stock for all). */
  confirmed: number;
  /** The longest gap between order-service's outbox batches (published_at) that ended after the kill. */
  publishPauseS: number;
  /** The same before the kill: the relay's ordinary gaps at this load. */
  normalMaxGapS: number;
  /** Outbox rows that took more than one attempt (a publish in flight when the node died). */
  republished: number;
  /** POST → final status of the orders placed during S6. */
  p99ms: number;
  maxMs: number;
  drainWhileDown: DrainResult;
  /** startNode: the node runs, rejoined, and every quorum queue has all its members online. */
  restartS: number;
}

export interface ClusterResults {
  /** RabbitMqCluster.start: node 1, then the others joining it, until cluster status shows all running. */
  startS: number;
  oneNode: BrokerFigures;
  threeNodes: BrokerFigures;
  /** Three nodes / one node: what replicating every message to three nodes costs. */
  ratios: Record<string, number>;
  s6?: LeaderKilled;
  s6Error?: string;
}

type Log = (message: string) => void;

/**
 * The shop on a private single RabbitMQ node and on a private three-node cluster (quorum queues
 * with a member on each node), each on fresh databases, both up at once and measured in turns,
 * step by step, so a busy neighbour weighs on both alike; then S6 on the cluster, alone.
 */
export async function measureCluster(plan: ClusterPlan, dir: string, log: Log): Promise<ClusterResults> {
  const node = new RabbitMqNode(join(dir, 'rabbitmq-one-node'));
  const cluster = new RabbitMqCluster(join(dir, 'rabbitmq-cluster'));
  const shops: Shop[] = [];
  try {
    await node.start();
    const startedAt = Date.now();
    await cluster.start();
    const startS = round((Date.now() - startedAt) / 1000, 1);
    log(`cluster: three nodes running after ${startS} s`);
    const vhost = await cluster.createVhost('bench');
    const one = await startShop(join(dir, 'shop-one-node'), { urls: [node.url], processGroups: () => groupsOf([node]) }, shops);
    const three = await startShop(join(dir, 'shop-cluster'), { urls: vhost.urls, processGroups: () => groupsOf(cluster.nodes) }, shops);
    const setups = [
      { shop: one, nodes: 1 },
      { shop: three, nodes: 3 },
    ];
    const figures = setups.map(({ nodes }) => ({ nodes, e2e: {} }) as BrokerFigures);
    const label = (nodes: number) => (nodes === 1 ? 'one node' : `${nodes} nodes`);

    for (const { shop } of setups) {
      await placeOrders({ url: shop.orders.url, connections: 16, seconds: plan.warmupSeconds, tag: 'warmup' });
      await shop.quiesce();
    }
    for (const [i, { shop, nodes }] of setups.entries()) {
      const pids = { orderService: shop.orders.pid, inventoryService: shop.inventory.pid };
      const cpuBefore = cpuSnapshot(pids, shop.broker?.processGroups());
      const intake = await placeOrders({ url: shop.orders.url, connections: 32, seconds: plan.seconds, tag: `cluster-intake-${nodes}` });
      intake.cpuMsPerOrder = cpuPer(cpuBefore, cpuSnapshot(pids, shop.broker?.processGroups()), intake.created);
      figures[i].intake = intake;
      log(`cluster, ${label(nodes)}: intake ${JSON.stringify(intake)}`);
      await shop.quiesce();
    }
    for (const rate of plan.rates) {
      for (const [i, { shop, nodes }] of setups.entries()) {
        const tag = `cluster-e2e-${nodes}-${rate}`;
        const load = await offerOrders({ url: shop.orders.url, rate, seconds: plan.e2eSeconds, tag });
        await waitFor(async () => (await shop.pendingOrders(`${tag}@bench.example`)) === 0, {
          timeoutMs: plan.settleTimeoutMs,
          intervalMs: 250,
          what: `${tag} orders to settle`,
        });
        figures[i].e2e[`r${rate}`] = { offeredPerSecond: rate, acceptedPerSecond: load.rps, ...(await shop.confirmationLatency(`${tag}@bench.example`)) };
        log(`cluster, ${label(nodes)}: POST → CONFIRMED at ${rate}/s ${JSON.stringify(figures[i].e2e[`r${rate}`])}`);
        await shop.quiesce();
      }
    }
    for (const [i, { shop, nodes }] of setups.entries()) {
      figures[i].drain = await drainBacklog(shop, `cluster-drain-${nodes}`, plan.drainOrders, plan.settleTimeoutMs);
      log(`cluster, ${label(nodes)}: drain ${JSON.stringify(figures[i].drain)}`);
      await shop.quiesce();
    }
    const [oneNode, threeNodes] = figures;
    const results: ClusterResults = { startS, oneNode, threeNodes, ratios: replicationCost(oneNode, threeNodes) };

    // S6 alone: the one-node shop and its broker stop first.
    shops.splice(shops.indexOf(one), 1);
    await one.close();
    await node.stop();
    try {
      results.s6 = await leaderKilled(three, cluster, vhost.name, plan, log);
    } catch (err) {
      results.s6Error = (err as Error).message;
      log(`S6 failed: ${results.s6Error}`);
    }
    return results;
  } finally {
    for (const shop of shops) await shop.close();
    await node.stop();
    await cluster.stop();
  }
}

const groupsOf = (nodes: RabbitMqNode[]): number[] => nodes.flatMap((n) => (n.processGroup ? [n.processGroup] : []));

async function startShop(logDir: string, broker: ShopBroker, shops: Shop[]): Promise<Shop> {
  mkdirSync(logDir, { recursive: true });
  const shop = await Shop.start(logDir, broker);
  shops.push(shop);
  return shop;
}

function replicationCost(one: BrokerFigures, three: BrokerFigures): Record<string, number> {
  const ratios: Record<string, number> = {
    intakeRps: round(three.intake.rps / one.intake.rps),
    intakeP99: round(three.intake.p99ms / one.intake.p99ms),
    drainPerSecond: round(three.drain.perSecond / one.drain.perSecond),
  };
  // The broker's own CPU per order: the replication cost that a busy neighbour does not blur.
  const brokerCpu = (b: BrokerFigures) => ({ Intake: b.intake.cpuMsPerOrder?.rabbitmq, Drain: b.drain.cpuMsPerOrder.rabbitmq });
  for (const [phase, cluster] of Object.entries(brokerCpu(three))) {
    const single = brokerCpu(one)[phase as 'Intake' | 'Drain'];
    if (cluster && single) ratios[`brokerCpuPerOrder${phase}`] = round(cluster / single);
  }
  for (const [rate, e] of Object.entries(three.e2e)) {
    ratios[`e2eP50${rate}`] = round(e.p50ms / one.e2e[rate].p50ms);
    ratios[`e2eP99${rate}`] = round(e.p99ms / one.e2e[rate].p99ms);
  }
  return ratios;
}

/** S6: orders offered at a steady rate, the leader of inventory.order-placed SIGKILLed a quarter of the way in. */
async function leaderKilled(shop: Shop, cluster: RabbitMqCluster, vhost: string, plan: ClusterPlan, log: Log): Promise<LeaderKilled> {
  const tag = 's6';
  const email = `${tag}@bench.example`;
  const { rows: since } = await shop.ordersDb.query<{ now: Date }>(`SELECT now()`);
  const load = offerOrders({ url: shop.orders.url, rate: plan.s6Rate, seconds: plan.s6Seconds, tag });
  const beforeKill = Math.round((plan.s6Rate * plan.s6Seconds) / 4);
  await waitFor(async () => (await count(shop.ordersDb, `SELECT count(*) FROM orders WHERE customer_email = $1`, [email])) >= beforeKill, {
    timeoutMs: 60_000,
    intervalMs: 100,
    what: `${beforeKill} S6 orders`,
  });
  const killedNode = (await cluster.queueMembers(vhost, QUEUES.inventoryOrderPlaced)).leader;
  const { rows: killed } = await shop.ordersDb.query<{ now: Date }>(`SELECT now()`);
  await cluster.kill(killedNode);
  log(`S6: SIGKILL node ${killedNode + 1}, the leader of ${QUEUES.inventoryOrderPlaced}`);
  const answered = await load;
  // Settled: none pending, and no late commit of a request whose answer timed out since the last look.
  let stored = -1;
  const accepted = await waitFor(
    async () => {
      const [now, pending] = [await count(shop.ordersDb, `SELECT count(*) FROM orders WHERE customer_email = $1`, [email]), await shop.pendingOrders(email)];
      const settled = pending === 0 && now === stored;
      stored = now;
      return settled && now;
    },
    { timeoutMs: plan.settleTimeoutMs, intervalMs: 1_000, what: 'the S6 orders to settle' },
  );
  const newLeader = (await cluster.queueMembers(vhost, QUEUES.inventoryOrderPlaced)).leader;

  // Each batch's rows share one published_at (the batch's transaction start): gaps between batches.
  const { rows } = await shop.ordersDb.query<{ after_kill: number; before_kill: number; republished: string }>(
    `WITH placed AS (SELECT published_at, publish_attempts FROM outbox WHERE created_at >= $1 AND routing_key = 'order.placed'),
          gaps AS (SELECT at, at - lag(at) OVER (ORDER BY at) AS gap FROM (SELECT DISTINCT published_at AS at FROM placed) batches)
     SELECT extract(epoch FROM max(gap) FILTER (WHERE at > $2)) AS after_kill,
            extract(epoch FROM max(gap) FILTER (WHERE at <= $2)) AS before_kill,
            (SELECT count(*) FROM placed WHERE publish_attempts > 1) AS republished
     FROM gaps`,
    [since[0].now, killed[0].now],
  );
  const latency = await shop.confirmationLatency(email);
  await shop.quiesce();

  const drainWhileDown = await drainBacklog(shop, 's6-drain', plan.drainOrders, plan.settleTimeoutMs);
  log(`S6: drain with node ${killedNode + 1} down ${JSON.stringify(drainWhileDown)}`);
  await shop.quiesce();

  const restartedAt = Date.now();
  await cluster.startNode(killedNode);
  const s6: LeaderKilled = {
    killedNode,
    newLeader,
    offeredPerSecond: plan.s6Rate,
    accepted,
    intakeErrors: answered.errors,
    confirmed: latency.confirmed,
    publishPauseS: round(rows[0].after_kill, 2),
    normalMaxGapS: round(rows[0].before_kill, 2),
    republished: Number(rows[0].republished),
    p99ms: latency.p99ms,
    maxMs: latency.maxMs,
    drainWhileDown,
    restartS: round((Date.now() - restartedAt) / 1000, 1),
  };
  log(`S6: ${JSON.stringify(s6)}`);
  return s6;
}
