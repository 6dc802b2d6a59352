import { DEMO_CATALOG } from './demo-catalog';
import { EXCHANGES, QUEUES, ROUTES, ROUTING_KEYS, SERVICES, type RoutingKey, type Service } from './routes';
import { eventSchemaFor, EVENTS, topologyFor, TOPOLOGY, withRetryPolicy } from './topology';

describe('the topology', () => {
  it('binds every event to the queues the route table names for it, and to no other', () => {
    for (const [routingKey, { exchange }] of Object.entries(EVENTS)) {
      const queues = TOPOLOGY.queues.filter((queue) => queue.bindings.some((binding) => binding.exchange === exchange && binding.routingKey === routingKey));
      expect([routingKey, queues.map((queue) => queue.name)]).toEqual([routingKey, [...ROUTES[routingKey as RoutingKey].queues]]);
    }
  });

  it('declares every exchange a binding or event names', () => {
    const declared = new Set(TOPOLOGY.exchanges.map((exchange) => exchange.name));
    const used = [...Object.values(EVENTS).map((event) => event.exchange), TOPOLOGY.retryExchange, TOPOLOGY.deadLetterExchange];
    expect(used.filter((name) => !declared.has(name))).toEqual([]);
  });

  it("gives each service only its own queues and the exchanges it publishes to; others' exchanges and the queues its events reach are external", () => {
    const summary = (service: Service) => {
      const part = topologyFor(service);
      return { queues: part.queues.map((q) => q.name), exchanges: part.exchanges.map((x) => x.name), external: part.externalExchanges?.map((x) => x.name) };
    };
    const receivers = (service: Service) => topologyFor(service).externalQueues?.map((q) => q.name);
    expect(receivers('order-service')).toEqual([
      QUEUES.inventoryOrderPlaced,
      QUEUES.notificationsOrderEvents,
      QUEUES.paymentsOrderPayments,
      QUEUES.inventoryOrderReleases,
      QUEUES.notificationsSignInLinks,
    ]);
    expect(receivers('inventory-service')).toEqual([QUEUES.ordersStockResults]);
    expect(receivers('payment-service')).toEqual([QUEUES.ordersPaymentResults]);
    expect(receivers('notification-service')).toEqual([]);
    expect(summary('order-service')).toEqual({
      queues: [QUEUES.ordersStockResults, QUEUES.ordersPaymentResults],
      exchanges: [EXCHANGES.orders, EXCHANGES.retry, EXCHANGES.deadLetter, 'shop.replay.order-service'],
      external: [EXCHANGES.inventory, EXCHANGES.payments],
    });
    expect(summary('inventory-service')).toEqual({
      queues: [QUEUES.inventoryOrderPlaced, QUEUES.inventoryOrderReleases],
      exchanges: [EXCHANGES.inventory, EXCHANGES.retry, EXCHANGES.deadLetter, 'shop.replay.inventory-service'],
      external: [EXCHANGES.orders],
    });
    expect(summary('payment-service')).toEqual({
      queues: [QUEUES.paymentsOrderPayments],
      exchanges: [EXCHANGES.payments, EXCHANGES.retry, EXCHANGES.deadLetter, 'shop.replay.payment-service'],
      external: [EXCHANGES.orders],
    });
    // A receiver that publishes nothing declares only its queue and the retry, dead-letter and replay exchanges.
    expect(summary('notification-service')).toEqual({
      queues: [QUEUES.notificationsOrderEvents, QUEUES.notificationsSignInLinks],
      exchanges: [EXCHANGES.retry, EXCHANGES.deadLetter, 'shop.replay.notification-service'],
      external: [EXCHANGES.orders],
    });
    expect(topologyFor('notification-service').queues[0].bindings).toEqual(
      ['order.placed', 'order.confirmed', 'order.rejected', 'order.cancelled'].map((routingKey) => ({ exchange: EXCHANGES.orders, routingKey })),
    );
    expect(topologyFor('notification-service').queues[1].bindings).toEqual([{ exchange: EXCHANGES.orders, routingKey: 'signin.requested' }]);
    // Together they are the whole topology.
    const queues = SERVICES.flatMap((service) => topologyFor(service).queues.map((q) => q.name));
    expect(queues.sort()).toEqual(TOPOLOGY.queues.map((q) => q.name).sort());
  });

  it('can take another retry policy without changing anything else', () => {
    const fast = withRetryPolicy(TOPOLOGY, [100], 2);
    expect(fast.queues.map((queue) => [queue.retryDelaysMs, queue.maxAttempts])).toEqual(TOPOLOGY.queues.map(() => [[100], 2]));
    expect(fast.exchanges).toEqual(TOPOLOGY.exchanges);
  });

  it('validates payloads by message type and knows no others', () => {
    const placed = {
      schemaVersion: 1,
      orderId: '0d5c6f5e-2b1f-4a5e-9a53-0f6c2a1d9b11',
      lines: [{ sku: 'MUG-001', quantity: 1 }],
      placedAt: new Date().toISOString(),
    };
    const inventory = eventSchemaFor(ROUTING_KEYS.orderPlaced, QUEUES.inventoryOrderPlaced);
    expect(inventory?.safeParse(placed).success).toBe(true);
    expect(inventory?.safeParse({ ...placed, schemaVersion: 2 }).success).toBe(false);
    // The whole order.placed carries the customer and the priced lines too.
    expect(eventSchemaFor(ROUTING_KEYS.orderPlaced)?.safeParse(placed).success).toBe(false);
    expect(eventSchemaFor('order.shipped')).toBeUndefined();
    // Known, but not routed to inventory's order-placed queue: unknown there.
    expect(eventSchemaFor('order.cancelled', QUEUES.inventoryOrderPlaced)).toBeUndefined();
    expect(eventSchemaFor('order.cancelled', QUEUES.inventoryOrderReleases)).toBeDefined();
  });

  it('seeds twelve distinct skus with stock', () => {
    expect(new Set(DEMO_CATALOG.map((product) => product.sku)).size).toBe(12);
    expect(DEMO_CATALOG.every((product) => product.initialStock > 0 && product.priceCents > 0)).toBe(true);
  });
});
