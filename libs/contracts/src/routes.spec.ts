import { CONSUMERS, event, isRouted, QUEUES, ROUTES, routingKeysOf, type RoutingKey } from './routes';
import { eventSchemaFor, EVENTS, TOPOLOGY } from './topology';

const keys = Object.keys(ROUTES) as RoutingKey[];
const ORDER_ID = '0d5c6f5e-2b1f-4a5e-9a53-0f6c2a1d9b11';

describe('the route table', () => {
  it('gives every queue a consumer, and every event a queue that exists', () => {
    expect(Object.keys(CONSUMERS).sort()).toEqual(Object.values(QUEUES).sort());
    for (const key of keys) expect(ROUTES[key].queues.every((queue) => queue in CONSUMERS)).toBe(true);
  });

  it('is the topology: each queue is bound to exactly the events that name it, on their exchanges', () => {
    const fromRoutes = Object.values(QUEUES).map((queue) => ({
      name: queue,
      bindings: keys.filter((key) => ROUTES[key].queues.some((name) => name === queue)).map((key) => ({ exchange: ROUTES[key].exchange, routingKey: key })),
    }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(TOPOLOGY.queues.map(({ name, bindings }) => ({ name, bindings })).sort(byName)).toEqual(fromRoutes.sort(byName));
    expect(keys.map((key) => [key, EVENTS[key].exchange, EVENTS[key].schema])).toEqual(keys.map((key) => [key, ROUTES[key].exchange, ROUTES[key].schema]));
    for (const key of keys) expect(eventSchemaFor(key)).toBe(ROUTES[key].schema);
    expect(eventSchemaFor('toString')).toBeUndefined();
  });

  it('names, for each event, the schema version its schema accepts', () => {
    for (const key of keys) {
      const shape = (ROUTES[key].schema as unknown as { shape: { schemaVersion: { safeParse(value: unknown): { success: boolean } } } }).shape;
      expect([key, shape.schemaVersion.safeParse(ROUTES[key].schemaVersion).success]).toEqual([key, true]);
    }
  });

  it('lists the routing keys each queue receives, for its consumer', () => {
    expect(routingKeysOf(QUEUES.inventoryOrderPlaced)).toEqual(['order.placed']);
    expect(routingKeysOf(QUEUES.ordersStockResults)).toEqual(['stock.reserved', 'stock.rejected']);
    expect(routingKeysOf(QUEUES.notificationsOrderEvents)).toEqual(['order.placed', 'order.confirmed', 'order.rejected']);
  });

  it('gives the notification service every lifecycle event, whole (no reader of fewer fields), and makes them routed', () => {
    expect(CONSUMERS[QUEUES.notificationsOrderEvents]).toBe('notification-service');
    for (const key of ['order.placed', 'order.confirmed', 'order.rejected'] as const) {
      expect([key, ROUTES[key].queues.includes(QUEUES.notificationsOrderEvents)]).toEqual([key, true]);
      expect(eventSchemaFor(key, QUEUES.notificationsOrderEvents)).toBe(ROUTES[key].schema);
      expect(isRouted(key)).toBe(true);
    }
    // Inventory still reads order.placed as its first version.
    expect(eventSchemaFor('order.placed', QUEUES.inventoryOrderPlaced)).not.toBe(ROUTES['order.placed'].schema);
  });

  it('builds an event whose exchange and version follow from its routing key', () => {
    const rejected = event(
      'stock.rejected',
      { schemaVersion: 1, orderId: ORDER_ID, sku: 'MUG-001', reason: 'only 0 left', rejectedAt: new Date().toISOString() },
      { correlationId: ORDER_ID },
    );
    expect(rejected).toMatchObject({ exchange: 'shop.inventory', routingKey: 'stock.rejected', schemaVersion: 1, correlationId: ORDER_ID });
    expect(ROUTES['stock.rejected'].schema.safeParse(rejected.payload).success).toBe(true);
    // The payload's type follows from the key: a rejection's payload is not a reservation (tsc fails here otherwise).
    // @ts-expect-error a stock.rejected payload under stock.reserved
    expect(ROUTES['stock.reserved'].schema.safeParse(event('stock.reserved', rejected.payload).payload).success).toBe(false);
  });
});
