import { readFileSync } from 'node:fs';
import http from 'node:http';
import { offerOrders, placeOrders } from './load';
import type { Shop } from './shop';

/** One process's memory at a moment, in MiB: resident in all, and the part that is its own (anonymous: heaps, buffers). */
export interface MemorySample {
  rssMb: number;
  /** Anonymous resident memory: what this process alone costs (the rest is the node binary and libraries, shared and file-backed). */
  ownMb: number;
}

export interface MemoryResults {
  /** Per service: idle, the peak seen at steady load, with `streams` order event streams open, and `afterS` seconds after they closed. */
  services: Record<string, { idle: MemorySample; steady: MemorySample }>;
  streams: number;
  orderService: {
    idle: MemorySample;
    streamsOpen: MemorySample;
    streamsClosed: MemorySample;
    afterS: number;
    /** Seconds after the streams closed until resident memory was back within 10% of idle; null if not within `watchS`. */
    backToIdleAfterS: number | null;
    watchS: number;
  };
}

export function memoryOf(pid: number): MemorySample {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN);
  return { rssMb: Math.round(kb('Rss') / 1024), ownMb: Math.round(kb('Anonymous') / 1024) };
}

/**
 * B14: each service's memory idle (just restarted) and at a steady 100 orders/s (the peak of samples
 * taken every second), then order-service with `streams` order event streams open at once (from one client,
 * its per-client cap raised for the run), `afterS` seconds after they closed, and when (within
 * `watchS`) its memory was back near idle: whether the memory of a closed stream comes back.
 */
export async function measureMemory(shop: Shop, plan: { seconds: number; streams: number; afterS: number; watchS: number }): Promise<MemoryResults> {
  const services = shop.services.filter((service) => service.running);
  // Idle means just started: a service that ran the phases before carries the heap their load grew.
  await shop.quiesce();
  for (const service of services) {
    await service.stop();
    await service.start();
  }
  const idle = Object.fromEntries(services.map((service) => [service.name, memoryOf(service.pid!)]));
  const peak: Record<string, MemorySample> = { ...idle };
  const sampler = setInterval(() => {
    for (const service of services) {
      const sample = memoryOf(service.pid!);
      if (sample.rssMb > peak[service.name].rssMb) peak[service.name] = sample;
    }
  }, 1_000);
  try {
    await offerOrders({ url: shop.orders.url, rate: 100, seconds: plan.seconds, tag: 'memory' });
  } finally {
    clearInterval(sampler);
  }
  await shop.quiesce();

  const orders = shop.orders;
  const cap = orders.env.SSE_MAX_STREAMS_PER_CLIENT;
  await orders.stop();
  orders.env.SSE_MAX_STREAMS_PER_CLIENT = String(plan.streams);
  try {
    await orders.start();
    const orderIdle = memoryOf(orders.pid!);
    // A settled order's stream ends at once: the streams follow orders placed while inventory is stopped, so they stay open.
    await shop.inventory.stop();
    await placeOrders({ url: orders.url, connections: 16, amount: plan.streams, seconds: 600, tag: 'memory-streams' });
    const { rows } = await shop.ordersDb.query<{ id: string }>(`SELECT id FROM orders WHERE customer_email = 'memory-streams@bench.example'`);
    const { requests, open } = openStreams(
      orders.url,
      rows.map((row) => row.id),
    );
    let streamsOpen: MemorySample;
    try {
      await open;
      streamsOpen = memoryOf(orders.pid!);
    } finally {
      for (const request of requests) request.destroy();
    }
    // V8 gives the heap back at a collection, which an idle process starts only by a timer of its own: sampled each second.
    let streamsClosed: MemorySample | null = null;
    let backToIdleAfterS: number | null = null;
    for (let second = 1; second <= Math.max(plan.afterS, plan.watchS); second++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const sample = memoryOf(orders.pid!);
      if (second === plan.afterS) streamsClosed = sample;
      if (backToIdleAfterS === null && sample.rssMb <= orderIdle.rssMb * 1.1) backToIdleAfterS = second;
      if (streamsClosed && backToIdleAfterS !== null) break;
    }
    return {
      services: Object.fromEntries(services.map((service) => [service.name, { idle: idle[service.name], steady: peak[service.name] }])),
      streams: rows.length,
      orderService: { idle: orderIdle, streamsOpen, streamsClosed: streamsClosed!, afterS: plan.afterS, backToIdleAfterS, watchS: plan.watchS },
    };
  } finally {
    await orders.stop();
    if (!shop.inventory.running) await shop.inventory.start();
    if (cap === undefined) delete orders.env.SSE_MAX_STREAMS_PER_CLIENT;
    else orders.env.SSE_MAX_STREAMS_PER_CLIENT = cap;
    await orders.start();
  }
}

/**
 * One event stream per order id, each counted open when its first event (the current status)
 * arrived; opened 50 at a time, as shoppers arrive, not in one burst that would queue 2,000
 * admission reads on the service's connection pool.
 */
function openStreams(url: string, ids: string[]): { requests: http.ClientRequest[]; open: Promise<void> } {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const requests: http.ClientRequest[] = [];
  const openOne = (id: string) =>
    new Promise<void>((resolve, reject) => {
      const request = http.get(`${url}/api/orders/${id}/events`, { agent }, (response) => {
        if (response.statusCode !== 200) reject(new Error(`order event stream of ${id}: HTTP ${response.statusCode}`));
        response.once('data', () => resolve());
        response.on('error', () => undefined);
      });
      request.on('error', (err) => reject(err));
      requests.push(request);
    });
  const waiting = [...ids];
  const worker = async () => {
    for (let id = waiting.shift(); id !== undefined; id = waiting.shift()) await openOne(id);
  };
  return { requests, open: Promise.all(Array.from({ length: 50 }, worker)).then(() => undefined) };
}
