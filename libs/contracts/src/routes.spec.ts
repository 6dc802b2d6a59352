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
    expect(routingKeysOf(QUEUES.ordersStockResults)).toEqual(['stock.reserved', 'stock.rejected', 'stock.released']);
    expect(routingKeysOf(QUEUES.ordersPaymentResults)).toEqual([
      'payment.authorized',
      'payment.declined',
      'payment.captured',
      'payment.voided',
      'payment.refunded',
    ]);
    expect(routingKeysOf(QUEUES.paymentsOrderPayments)).toEqual(['order.reserved', 'order.confirmed', 'order.cancelled']);
    expect(routingKeysOf(QUEUES.inventoryOrderReleases)).toEqual(['order.rejected', 'order.cancelled']);
    expect(routingKeysOf(QUEUES.notificationsOrderEvents)).toEqual(['order.placed', 'order.confirmed', 'order.rejected', 'order.cancelled']);
  });

  it('gives the notification service every lifecycle event, whole (no reader of fewer fields), and makes them routed', () => {
    expect(CONSUMERS[QUEUES.notificationsOrderEvents]).toBe('notification-service');
    for (const key of ['order.placed', 'order.confirmed', 'order.rejected', 'order.cancelled'] as const) {
      expect([key, ROUTES[key].queues.includes(QUEUES.notificationsOrderEvents)]).toEqual([key, true]);
      expect(eventSchemaFor(key, QUEUES.notificationsOrderEvents)).toBe(ROUTES[key].schema);
      expect(isRouted(key)).toBe(true);
    }
    // Inventory still reads order.placed as its first version.
    expect(eventSchemaFor('order.placed', QUEUES.inventoryOrderPlaced)).not.toBe(ROUTES['order.placed'].schema);
  });

  it('gives inventory only the order id of a rejection or cancel, and payment-service the token only with the reserved order', () => {
    const cancelled = {
      schemaVersion: 1,
      orderId: ORDER_ID,
      customer: { name: 'Ada', email: 'ada@example.com' },
      lines: [{ sku: 'MUG-001', productName: 'Mug', quantity: 1, unitPriceCents: 1200 }],
      totalCents: 1200,
      currency: 'USD',
      placedAt: new Date().toISOString(),
      previousStatus: 'CONFIRMED',
      paymentHeld: true,
      cancelledAt: new Date().toISOString(),
    };
    expect(ROUTES['order.cancelled'].schema.safeParse(cancelled).success).toBe(true);
    expect(eventSchemaFor('order.cancelled', QUEUES.inventoryOrderReleases)?.parse(cancelled)).toEqual({ schemaVersion: 1, orderId: ORDER_ID });
    // A rejection published before `cause` existed is read as a stock rejection.
    const { previousStatus, paymentHeld, cancelledAt, ...state } = cancelled;
    expect([previousStatus, paymentHeld, cancelledAt].length).toBe(3);
    const rejected = ROUTES['order.rejected'].schema.parse({ ...state, reason: 'MUG-001 is out of stock', rejectedAt: cancelledAt }) as { cause: string };
    expect(rejected.cause).toBe('stock');
    const reserved = { ...state, payment: { token: 'tok_success' }, reservedAt: cancelledAt };
    expect(ROUTES['order.reserved'].schema.safeParse(reserved).success).toBe(true);
    expect(ROUTES['order.reserved'].schema.safeParse({ ...reserved, payment: { token: '4242424242424242' } }).success).toBe(false);
    expect(ROUTES['order.reserved'].queues).toEqual([QUEUES.paymentsOrderPayments]);
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
