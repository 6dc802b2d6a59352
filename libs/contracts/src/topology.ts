import type { z } from 'zod';
import { orderPlacedSchema, stockRejectedSchema, stockReservedSchema } from './events';

/** Exchanges. Events are published to the exchange of the service that owns them. */
export const EXCHANGES = {
  orders: 'shop.orders',
  inventory: 'shop.inventory',
  /** Holds messages waiting for a delayed retry (see QueueSpec.retryDelaysMs). */
  retry: 'shop.retry',
  /** Dead letters: schema-invalid messages and those that exhausted their attempts. */
  deadLetter: 'shop.dlx',
} as const;

export const ROUTING_KEYS = {
  orderPlaced: 'order.placed',
  stockReserved: 'stock.reserved',
  stockRejected: 'stock.rejected',
} as const;
export type RoutingKey = (typeof ROUTING_KEYS)[keyof typeof ROUTING_KEYS];

export const QUEUES = {
  inventoryOrderPlaced: 'inventory.order-placed',
  ordersStockResults: 'orders.stock-results',
} as const;

/** Every event: where it is published and how its payload is validated. */
export const EVENTS = {
  [ROUTING_KEYS.orderPlaced]: { exchange: EXCHANGES.orders, schema: orderPlacedSchema },
  [ROUTING_KEYS.stockReserved]: { exchange: EXCHANGES.inventory, schema: stockReservedSchema },
  [ROUTING_KEYS.stockRejected]: { exchange: EXCHANGES.inventory, schema: stockRejectedSchema },
} as const satisfies Record<RoutingKey, { exchange: string; schema: z.ZodType }>;

export interface ExchangeSpec {
  name: string;
  type: 'topic' | 'direct';
}

export interface QueueSpec {
  /** `<service>.<purpose>`; its dead-letter queue is `<name>.dlq`. */
  name: string;
  bindings: { exchange: string; routingKey: string }[];
  /** One TTL queue per delay; a failed message waits in the next one, then returns. */
  retryDelaysMs: number[];
  /** Deliveries (first one included) before a failing message is dead-lettered. */
  maxAttempts: number;
}

export interface Topology {
  exchanges: ExchangeSpec[];
  queues: QueueSpec[];
  /** Direct exchange that routes a failed message to the retry queue of its delay. */
  retryExchange: string;
  /** Direct exchange that routes dead letters to `<queue>.dlq`. */
  deadLetterExchange: string;
}

const RETRY_DELAYS_MS = [1_000, 5_000, 30_000];
const MAX_ATTEMPTS = 5;

/** The whole broker topology as data; every service declares all of it at start. */
export const TOPOLOGY: Topology = {
  retryExchange: EXCHANGES.retry,
  deadLetterExchange: EXCHANGES.deadLetter,
  exchanges: [
    { name: EXCHANGES.orders, type: 'topic' },
    { name: EXCHANGES.inventory, type: 'topic' },
    { name: EXCHANGES.retry, type: 'direct' },
    { name: EXCHANGES.deadLetter, type: 'direct' },
  ],
  queues: [
    {
      name: QUEUES.inventoryOrderPlaced,
      bindings: [{ exchange: EXCHANGES.orders, routingKey: ROUTING_KEYS.orderPlaced }],
      retryDelaysMs: RETRY_DELAYS_MS,
      maxAttempts: MAX_ATTEMPTS,
    },
    {
      name: QUEUES.ordersStockResults,
      bindings: [
        { exchange: EXCHANGES.inventory, routingKey: ROUTING_KEYS.stockReserved },
        { exchange: EXCHANGES.inventory, routingKey: ROUTING_KEYS.stockRejected },
      ],
      retryDelaysMs: RETRY_DELAYS_MS,
      maxAttempts: MAX_ATTEMPTS,
    },
  ],
};

/** Payload schema of a message type, for consumers that validate at the boundary. */
export function eventSchemaFor(type: string): z.ZodType | undefined {
  return (EVENTS as Record<string, { schema: z.ZodType }>)[type]?.schema;
}

/** The same topology with other retry delays and attempts (configuration knobs, e.g. for fast tests). */
export function withRetryPolicy(topology: Topology, retryDelaysMs: number[], maxAttempts: number): Topology {
  return { ...topology, queues: topology.queues.map((queue) => ({ ...queue, retryDelaysMs, maxAttempts })) };
}
