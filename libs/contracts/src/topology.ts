import type { z } from 'zod';
import { CONSUMERS, EXCHANGES, replayExchangeOf, ROUTES, type QueueName, type Route, type RoutingKey, type Service } from './routes';

/** Every event: where it is published and how its payload is validated (from ROUTES). */
export const EVENTS = Object.fromEntries(
  Object.entries(ROUTES).map(([routingKey, route]) => [routingKey, { exchange: route.exchange, schema: route.schema }]),
) as { [K in RoutingKey]: { exchange: (typeof ROUTES)[K]['exchange']; schema: (typeof ROUTES)[K]['schema'] } };

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
  /** Its consumer's replay exchange (replayExchangeOf), to which it is bound by its own name. */
  replayExchange?: string;
}

export interface Topology {
  exchanges: ExchangeSpec[];
  /** Other services' exchanges its queues bind to: checked, and declared only where missing (see topologyFor). */
  externalExchanges?: ExchangeSpec[];
  /** Other services' queues that receive its events: checked, and declared only where missing (see topologyFor). */
  externalQueues?: QueueSpec[];
  queues: QueueSpec[];
  /** Direct exchange that routes a failed message to the retry queue of its delay. */
  retryExchange: string;
  /** Direct exchange that routes dead letters to `<queue>.dlq`. */
  deadLetterExchange: string;
}

const RETRY_DELAYS_MS = [1_000, 5_000, 30_000];
const MAX_ATTEMPTS = 5;

/** Each queue of the route table with a binding per event it receives, in the table's order. */
function queuesOfRoutes(): QueueSpec[] {
  const queues = new Map<QueueName, QueueSpec>();
  for (const [routingKey, route] of Object.entries(ROUTES)) {
    for (const name of route.queues) {
      const queue = queues.get(name) ?? {
        name,
        bindings: [],
        retryDelaysMs: RETRY_DELAYS_MS,
        maxAttempts: MAX_ATTEMPTS,
        replayExchange: replayExchangeOf(CONSUMERS[name]),
      };
      queue.bindings.push({ exchange: route.exchange, routingKey });
      queues.set(name, queue);
    }
  }
  return [...queues.values()];
}

/**
 * The whole broker topology, derived from the route table: what the broker definitions (compose,
 * Kubernetes) hold. Each service declares only its part of it (topologyFor).
 */
export const TOPOLOGY: Topology = {
  retryExchange: EXCHANGES.retry,
  deadLetterExchange: EXCHANGES.deadLetter,
  exchanges: [
    { name: EXCHANGES.orders, type: 'topic' },
    { name: EXCHANGES.inventory, type: 'topic' },
    { name: EXCHANGES.payments, type: 'topic' },
    { name: EXCHANGES.retry, type: 'direct' },
    { name: EXCHANGES.deadLetter, type: 'direct' },
    ...[...new Set(Object.values(CONSUMERS))].map((service) => ({ name: replayExchangeOf(service), type: 'direct' as const })),
  ],
  queues: queuesOfRoutes(),
};

/**
 * What one service declares at every connect: its own queues (with their retry and dead-letter
 * queues and bindings), the exchanges it publishes to, and the retry and dead-letter exchanges if
 * it consumes. The other services' exchanges its queues bind to (`externalExchanges`) and the
 * other services' queues its events go to (`externalQueues`) are the broker definitions' to hold;
 * on a broker without them (development, tests) they are declared where missing, so either side
 * may start first and nothing it publishes is unroutable for want of a consumer that never ran.
 */
export function topologyFor(service: Service): Topology {
  const queues = TOPOLOGY.queues.filter((queue) => CONSUMERS[queue.name as QueueName] === service);
  const publishedTo = new Set<string>(
    Object.values(ROUTES as Record<string, Route>)
      .filter((route) => route.producer === service)
      .map((route) => route.exchange),
  );
  // A consumer forwards failed messages, dead letters, and replays its operators ask for.
  if (queues.length > 0) publishedTo.add(TOPOLOGY.retryExchange).add(TOPOLOGY.deadLetterExchange).add(replayExchangeOf(service));
  const boundFrom = new Set(queues.flatMap((queue) => queue.bindings.map((binding) => binding.exchange)));
  const produced = new Set(
    Object.entries(ROUTES as Record<string, Route>)
      .filter(([, route]) => route.producer === service)
      .map(([key]) => key),
  );
  return {
    ...TOPOLOGY,
    exchanges: TOPOLOGY.exchanges.filter((exchange) => publishedTo.has(exchange.name)),
    externalExchanges: TOPOLOGY.exchanges.filter((exchange) => boundFrom.has(exchange.name) && !publishedTo.has(exchange.name)),
    externalQueues: TOPOLOGY.queues.filter(
      (queue) => CONSUMERS[queue.name as QueueName] !== service && queue.bindings.some((binding) => produced.has(binding.routingKey)),
    ),
    queues,
  };
}

/**
 * Payload schema of a message type as the consumer of `queue` reads it (its reader's, else the whole
 * payload's), for validation at the boundary; undefined for a type the route table does not send there.
 */
export function eventSchemaFor(type: string, queue?: string): z.ZodType | undefined {
  if (!Object.hasOwn(ROUTES, type)) return undefined;
  const route: Route = ROUTES[type as RoutingKey];
  // A type the route table does not send to this queue is unknown there, whatever other queues receive it.
  if (queue && !route.queues.includes(queue as QueueName)) return undefined;
  return (queue && route.readers?.[queue as QueueName]) || route.schema;
}

/** The same topology with other retry delays and attempts (configuration knobs, e.g. for fast tests). */
export function withRetryPolicy(topology: Topology, retryDelaysMs: number[], maxAttempts: number): Topology {
  return { ...topology, queues: topology.queues.map((queue) => ({ ...queue, retryDelaysMs, maxAttempts })) };
}
