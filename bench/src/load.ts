import { DEMO_CATALOG, type CreateOrderRequest } from '@shop/contracts';
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';

export interface IntakeResult {
  /** 201s per second. */
  rps: number;
  p50ms: number;
  p99ms: number;
  requests: number;
  created: number;
  /** Answers other than 201, timeouts and connection errors. */
  errors: number;
  /** created / requests. */
  success: number;
  /** Filled in by the intake benchmark. */
  cpuMsPerOrder?: Record<string, number>;
  relayRowsPerBatch?: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  /** Tags the orders (customer email), so SQL can find the ones a run placed. */
  tag: string;
  seconds?: number;
  /** A fixed number of orders instead of a duration. */
  amount?: number;
  /** Offered orders per second over all connections (open loop); unbounded when absent. */
  rate?: number;
  /** When given, the `id` of every order answered 201 is pushed here (to ask the system about them later). */
  ids?: string[];
}

const SKUS = DEMO_CATALOG.map((product) => product.sku);

/** What a shopper posts: one to three distinct skus, one to three of each, paid with the test card that succeeds. */
export function randomOrder(tag: string): CreateOrderRequest {
  const skus = [...SKUS];
  const lines = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => {
    const [sku] = skus.splice(Math.floor(Math.random() * skus.length), 1);
    return { sku, quantity: 1 + Math.floor(Math.random() * 3) };
  });
  return { customer: { name: 'Bench Shopper', email: `${tag}@bench.example` }, lines, payment: { token: 'tok_success' } };
}

/** POST /api/orders with autocannon, every request with its own Idempotency-Key and body. */
export async function placeOrders(options: LoadOptions): Promise<IntakeResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds ?? 10,
    amount: options.amount,
    overallRate: options.rate,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/api/orders',
        setupRequest: (request) => ({
          ...request,
          headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${randomUUID()}` },
          body: JSON.stringify(randomOrder(options.tag)),
        }),
        onResponse: options.ids
          ? (status, body) => {
              if (status === 201) options.ids!.push((JSON.parse(body) as { id: string }).id);
            }
          : undefined,
      },
    ],
  });
  const created = result['2xx'];
  const requests = created + result.non2xx + result.errors;
  return {
    rps: Math.round(created / result.duration),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    requests,
    created,
    errors: requests - created,
    success: round(created / Math.max(requests, 1), 4),
  };
}

export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * An open-loop load at a fixed rate: request i is sent at `i / rate` seconds whether or not the
 * earlier ones were answered, as independent shoppers would. (autocannon's `overallRate` sends
 * each second's quota at the start of the second, as fast as the server answers: a burst, not a rate.)
 */
export async function offerOrders(options: { url: string; rate: number; seconds: number; tag: string; ids?: string[] }): Promise<IntakeResult> {
  const total = Math.round(options.rate * options.seconds);
  const latencies: number[] = [];
  let errors = 0;
  const post = async () => {
    const sentAt = performance.now();
    try {
      const response = await fetch(`${options.url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${randomUUID()}` },
        body: JSON.stringify(randomOrder(options.tag)),
        signal: AbortSignal.timeout(10_000),
      });
      const body = await response.text();
      if (response.status === 201) {
        latencies.push(performance.now() - sentAt);
        options.ids?.push((JSON.parse(body) as { id: string }).id);
      } else errors++;
    } catch {
      errors++;
    }
  };
  const startedAt = performance.now();
  const requests: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = startedAt + (i * 1000) / options.rate - performance.now();
    if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
    requests.push(post());
  }
  await Promise.all(requests);
  latencies.sort((a, b) => a - b);
  const at = (p: number) => round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN, 1);
  return {
    rps: Math.round(latencies.length / options.seconds),
    p50ms: at(0.5),
    p99ms: at(0.99),
    requests: total,
    created: latencies.length,
    errors,
    success: round(latencies.length / Math.max(total, 1), 4),
  };
}
