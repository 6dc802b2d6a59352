import type { ConnectionOptions, DefaultJobOptions } from 'bullmq';

/** The two queues: orders to the stock consumer, and its results back to the order process. */
export const ORDER_PLACED = 'order-placed';
export const STOCK_RESULTS = 'stock-results';

export interface OrderPlacedJob {
  orderId: string;
  lines: { sku: string; quantity: number }[];
}

export interface StockResultJob {
  orderId: string;
  status: 'CONFIRMED' | 'REJECTED';
  reason: string | null;
}

const redis = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };

/**
 * A `Queue` used from a request fails fast while Redis is down instead of holding the request until
 * it reconnects (BullMQ's "Going to production" and "Failing fast when Redis is down").
 */
export const queueConnection: ConnectionOptions = { ...redis, enableOfflineQueue: false };

/** A `Worker` waits for Redis as long as it takes: BullMQ requires `maxRetriesPerRequest: null` there. */
export const workerConnection: ConnectionOptions = { ...redis, maxRetriesPerRequest: null };

/**
 * The job options BullMQ's guides show: three attempts with exponential backoff from 1 s ("Retrying
 * failing jobs"), and finished jobs removed but for the last few ("Auto-removal of jobs"), as its
 * production guide asks, so Redis does not fill with them.
 */
export const defaultJobOptions: DefaultJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { count: 1_000 },
  removeOnFail: { count: 5_000 },
};

/** The worker concurrency of BullMQ's concurrency guide: jobs that wait on a database run 50 at a time. */
export const WORKER_CONCURRENCY = Number(process.env.WORKER_CONCURRENCY ?? 50);
