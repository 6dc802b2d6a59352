import type { z } from 'zod';
import {
  orderCancelledSchema,
  orderConfirmedSchema,
  orderPlacedSchema,
  orderPlacedV1Schema,
  orderRejectedSchema,
  orderReleaseReaderSchema,
  orderReservedSchema,
  paymentAuthorizedSchema,
  paymentCapturedSchema,
  paymentDeclinedSchema,
  paymentRefundedSchema,
  paymentVoidedSchema,
  signInRequestedSchema,
  stockRejectedSchema,
  stockReleasedSchema,
  stockReservedSchema,
} from './events';

/** Exchanges. Events are published to the exchange of the service that produces them. */
export const EXCHANGES = {
  orders: 'shop.orders',
  inventory: 'shop.inventory',
  payments: 'shop.payments',
  /** Holds messages waiting for a delayed retry (see QueueSpec.retryDelaysMs). */
  retry: 'shop.retry',
  /** Dead letters: schema-invalid messages and those that exhausted their attempts. */
  deadLetter: 'shop.dlx',
} as const;

/**
 * Where an operator's replay of a dead letter goes: one direct exchange per consuming service, each of
 * its queues bound to it by the queue's own name. A replay reaches only the queue the message died
 * in (never the event's other receivers), and a service's broker user may write only to its own, so
 * it can replay into its own queues and no one else's.
 */
export const replayExchangeOf = (service: Service) => `shop.replay.${service}`;

/** The consumers' queues, `<service>.<purpose>`; each names the service that consumes it. */
export const QUEUES = {
  inventoryOrderPlaced: 'inventory.order-placed',
  inventoryOrderReleases: 'inventory.order-releases',
  ordersStockResults: 'orders.stock-results',
  ordersPaymentResults: 'orders.payment-results',
  paymentsOrderPayments: 'payments.order-payments',
  notificationsOrderEvents: 'notifications.order-events',
  notificationsSignInLinks: 'notifications.sign-in-links',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** The shop's services; each has its own database, broker user and queues. */
export const SERVICES = ['order-service', 'inventory-service', 'notification-service', 'payment-service'] as const;
export type Service = (typeof SERVICES)[number];

/** The service that consumes each queue (competing instances of it share the queue). */
export const CONSUMERS = {
  [QUEUES.inventoryOrderPlaced]: 'inventory-service',
  [QUEUES.inventoryOrderReleases]: 'inventory-service',
  [QUEUES.ordersStockResults]: 'order-service',
  [QUEUES.ordersPaymentResults]: 'order-service',
  [QUEUES.paymentsOrderPayments]: 'payment-service',
  [QUEUES.notificationsOrderEvents]: 'notification-service',
  [QUEUES.notificationsSignInLinks]: 'notification-service',
} as const satisfies Record<QueueName, Service>;

/**
 * Where an order goes next: every event, who produces it, the exchange it is published to, its
 * payload schema and version, and the queues (consumers, see CONSUMERS) that receive it. The broker
 * topology, EVENTS, eventSchemaFor and the broker users' permissions are derived from this table; a
 * new receiver adds its queue here. What order-service does on each answer is its saga
 * (apps/order-service/src/orders/order-saga.ts); this table says where each message goes.
 *
 *   POST /api/orders ─ order.placed ─> inventory.order-placed (inventory reserves stock)
 *     ─ stock.reserved | stock.rejected ─> orders.stock-results
 *   stock.reserved ─> order RESERVED ─ order.reserved ─> payments.order-payments (payment-service authorizes)
 *     ─ payment.authorized | payment.declined ─> orders.payment-results
 *   payment.authorized ─> order CONFIRMED ─ order.confirmed ─> payments.order-payments (capture)
 *   stock.rejected | payment.declined ─> order REJECTED ─ order.rejected ─> inventory.order-releases (give back what is held)
 *   POST /api/orders/:id/cancel ─> order CANCELLED ─ order.cancelled ─> inventory.order-releases, payments.order-payments (void or refund)
 *     ─ stock.released ─> orders.stock-results; payment.voided | payment.refunded ─> orders.payment-results
 *   order.placed | order.confirmed | order.rejected | order.cancelled ─> notifications.order-events (one email each, in the order's order)
 *   POST /api/sessions/link ─ signin.requested ─> notifications.sign-in-links (notification-service emails the link)
 */
export const ROUTES = {
  'order.placed': {
    producer: 'order-service',
    exchange: EXCHANGES.orders,
    schema: orderPlacedSchema,
    schemaVersion: 1,
    queues: [QUEUES.inventoryOrderPlaced, QUEUES.notificationsOrderEvents],
    // Inventory reads the fields of the first version only: the lines it reserves.
    readers: { [QUEUES.inventoryOrderPlaced]: orderPlacedV1Schema },
  },
  'order.reserved': {
    producer: 'order-service',
    exchange: EXCHANGES.orders,
    schema: orderReservedSchema,
    schemaVersion: 1,
    queues: [QUEUES.paymentsOrderPayments],
  },
  'order.confirmed': {
    producer: 'order-service',
    exchange: EXCHANGES.orders,
    schema: orderConfirmedSchema,
    schemaVersion: 1,
    queues: [QUEUES.notificationsOrderEvents, QUEUES.paymentsOrderPayments],
  },
  'order.rejected': {
    producer: 'order-service',
    exchange: EXCHANGES.orders,
    schema: orderRejectedSchema,
    schemaVersion: 1,
    queues: [QUEUES.notificationsOrderEvents, QUEUES.inventoryOrderReleases],
    readers: { [QUEUES.inventoryOrderReleases]: orderReleaseReaderSchema },
  },
  'order.cancelled': {
    producer: 'order-service',
    exchange: EXCHANGES.orders,
    schema: orderCancelledSchema,
    schemaVersion: 1,
    queues: [QUEUES.notificationsOrderEvents, QUEUES.paymentsOrderPayments, QUEUES.inventoryOrderReleases],
    readers: { [QUEUES.inventoryOrderReleases]: orderReleaseReaderSchema },
  },
  'signin.requested': {
    producer: 'order-service',
    exchange: EXCHANGES.orders,
    schema: signInRequestedSchema,
    schemaVersion: 1,
    // A queue of its own: a sign-in link is not an order email, and its consumer reads every key of its queue.
    queues: [QUEUES.notificationsSignInLinks],
  },
  'stock.reserved': {
    producer: 'inventory-service',
    exchange: EXCHANGES.inventory,
    schema: stockReservedSchema,
    schemaVersion: 1,
    queues: [QUEUES.ordersStockResults],
  },
  'stock.rejected': {
    producer: 'inventory-service',
    exchange: EXCHANGES.inventory,
    schema: stockRejectedSchema,
    schemaVersion: 1,
    queues: [QUEUES.ordersStockResults],
  },
  'stock.released': {
    producer: 'inventory-service',
    exchange: EXCHANGES.inventory,
    schema: stockReleasedSchema,
    schemaVersion: 1,
    queues: [QUEUES.ordersStockResults],
  },
  'payment.authorized': {
    producer: 'payment-service',
    exchange: EXCHANGES.payments,
    schema: paymentAuthorizedSchema,
    schemaVersion: 1,
    queues: [QUEUES.ordersPaymentResults],
  },
  'payment.declined': {
    producer: 'payment-service',
    exchange: EXCHANGES.payments,
    schema: paymentDeclinedSchema,
    schemaVersion: 1,
    queues: [QUEUES.ordersPaymentResults],
  },
  'payment.captured': {
    producer: 'payment-service',
    exchange: EXCHANGES.payments,
    schema: paymentCapturedSchema,
    schemaVersion: 1,
    queues: [QUEUES.ordersPaymentResults],
  },
  'payment.voided': {
    producer: 'payment-service',
    exchange: EXCHANGES.payments,
    schema: paymentVoidedSchema,
    schemaVersion: 1,
    queues: [QUEUES.ordersPaymentResults],
  },
  'payment.refunded': {
    producer: 'payment-service',
    exchange: EXCHANGES.payments,
    schema: paymentRefundedSchema,
    schemaVersion: 1,
    queues: [QUEUES.ordersPaymentResults],
  },
} as const satisfies Record<string, Route>;

export interface Route {
  /** The service that publishes it (from its outbox). */
  producer: Service;
  exchange: string;
  /** What the producer publishes, and what a consumer reads unless `readers` names less. */
  schema: z.ZodType;
  /** The version `schema` accepts; a breaking change is a new version. */
  schemaVersion: number;
  /**
   * Every queue bound to this event: each consumer gets its own copy. An event no queue receives
   * yet is still published (and dropped by the broker) so a receiver can subscribe later.
   */
  queues: readonly QueueName[];
  /** A consumer that reads only some fields (tolerant reader), so messages of an older producer still pass. */
  readers?: Partial<Record<QueueName, z.ZodType>>;
}

export type RoutingKey = keyof typeof ROUTES;
export type EventPayload<K extends RoutingKey> = z.infer<(typeof ROUTES)[K]['schema']>;
/** What a consumer of queue `Q` reads of event `K`: its reader's schema, or the whole payload. */
export type ReadPayload<K extends RoutingKey, Q extends QueueName> = (typeof ROUTES)[K] extends { readers: infer R }
  ? Q extends keyof R
    ? R[Q] extends z.ZodType
      ? z.infer<R[Q]>
      : EventPayload<K>
    : EventPayload<K>
  : EventPayload<K>;

/** The routing keys that reach a queue. */
export type RoutingKeysOf<Q extends QueueName> = { [K in RoutingKey]: Q extends (typeof ROUTES)[K]['queues'][number] ? K : never }[RoutingKey];

/** What a consumer of queue `Q` receives: a message type of that queue, with that type's payload. */
export type ConsumedEvent<Q extends QueueName> = { [K in RoutingKeysOf<Q>]: { type: K; payload: ReadPayload<K, Q> } }[RoutingKeysOf<Q>];

export const ROUTING_KEYS = {
  orderPlaced: 'order.placed',
  orderReserved: 'order.reserved',
  orderConfirmed: 'order.confirmed',
  orderRejected: 'order.rejected',
  orderCancelled: 'order.cancelled',
  signInRequested: 'signin.requested',
  stockReserved: 'stock.reserved',
  stockRejected: 'stock.rejected',
  stockReleased: 'stock.released',
  paymentAuthorized: 'payment.authorized',
  paymentDeclined: 'payment.declined',
  paymentCaptured: 'payment.captured',
  paymentVoided: 'payment.voided',
  paymentRefunded: 'payment.refunded',
} as const satisfies Record<string, RoutingKey>;

/** An event ready for the outbox: its destination derived from the route table. */
export interface IntegrationEvent<K extends RoutingKey = RoutingKey> {
  exchange: string;
  routingKey: K;
  payload: EventPayload<K>;
  schemaVersion: number;
  correlationId?: string;
  traceparent?: string;
}

/** `outbox.add(manager, [event('stock.reserved', payload)])`: the payload is typed by the key, the exchange follows from it. */
export function event<K extends RoutingKey>(
  routingKey: K,
  payload: EventPayload<K>,
  trace: { correlationId?: string; traceparent?: string } = {},
): IntegrationEvent<K> {
  const route: Route = ROUTES[routingKey];
  return { exchange: route.exchange, routingKey, payload, schemaVersion: route.schemaVersion, ...trace };
}

/** The routing keys a queue receives, for its consumer's `@BatchEventPattern`. */
export function routingKeysOf<Q extends QueueName>(queue: Q): RoutingKeysOf<Q>[] {
  return (Object.keys(ROUTES) as RoutingKey[]).filter((key) => (ROUTES[key].queues as readonly QueueName[]).includes(queue)) as RoutingKeysOf<Q>[];
}

/** True when the route table binds some queue to this event: then a publish the broker cannot route is an error. */
export function isRouted(routingKey: string): boolean {
  return Object.hasOwn(ROUTES, routingKey) ? ROUTES[routingKey as RoutingKey].queues.length > 0 : true;
}
