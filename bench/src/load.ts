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
}

const SKUS = DEMO_CATALOG.map((product) => product.sku);

/** What a shopper posts: one to three distinct skus, one to three of each. */
export function randomOrder(tag: string): CreateOrderRequest {
  const skus = [...SKUS];
  const lines = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => {
    const [sku] = skus.splice(Math.floor(Math.random() * skus.length), 1);
    return { sku, quantity: 1 + Math.floor(Math.random() * 3) };
  });
  return { customer: { name: 'Bench Shopper', email: `${tag}@bench.example` }, lines };
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
