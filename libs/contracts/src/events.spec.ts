import { orderConfirmedSchema, orderPlacedSchema, orderPlacedV1Schema, orderRejectedSchema } from './events';
import { QUEUES, ROUTES } from './routes';
import { eventSchemaFor } from './topology';

const ORDER_ID = '0d5c6f5e-2b1f-4a5e-9a53-0f6c2a1d9b11';

/** An order.placed as order-service publishes it now: version 1 with the customer, priced lines and total added. */
const placedNow = {
  schemaVersion: 1,
  orderId: ORDER_ID,
  customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
  lines: [
    { sku: 'MUG-001', productName: 'Enamel mug', quantity: 2, unitPriceCents: 1800 },
    { sku: 'TEE-002', productName: 'Cotton tee', quantity: 1, unitPriceCents: 2900 },
  ],
  totalCents: 6500,
  currency: 'USD',
  placedAt: '2026-12-02T10:00:00.000Z',
};

describe('event versions', () => {
  it('a consumer of the first order.placed accepts the extended message, and reads exactly the fields it knew', () => {
    const read = orderPlacedV1Schema.parse(placedNow);
    expect(read).toEqual({
      schemaVersion: 1,
      orderId: ORDER_ID,
      lines: [
        { sku: 'MUG-001', quantity: 2 },
        { sku: 'TEE-002', quantity: 1 },
      ],
      placedAt: '2026-12-02T10:00:00.000Z',
    });
  });

  it('inventory reads order.placed with the first version, so a message of an older order-service still passes', () => {
    expect(eventSchemaFor('order.placed', QUEUES.inventoryOrderPlaced)).toBe(orderPlacedV1Schema);
    const fromOlderProducer = { schemaVersion: 1, orderId: ORDER_ID, lines: [{ sku: 'MUG-001', quantity: 2 }], placedAt: '2026-12-02T10:00:00.000Z' };
    expect(eventSchemaFor('order.placed', QUEUES.inventoryOrderPlaced)!.safeParse(fromOlderProducer).success).toBe(true);
    // A receiver that needs the customer reads the whole message, and refuses one without it.
    expect(eventSchemaFor('order.placed')).toBe(ROUTES['order.placed'].schema);
    expect(orderPlacedSchema.safeParse(fromOlderProducer).success).toBe(false);
    expect(orderPlacedSchema.parse(placedNow)).toEqual(placedNow);
  });

  it('ignores fields a later producer adds (tolerant reader), but still refuses a breaking change', () => {
    const withMore = { ...placedNow, giftWrap: true, lines: placedNow.lines.map((line) => ({ ...line, colour: 'blue' })) };
    expect(orderPlacedSchema.parse(withMore)).toEqual(placedNow);
    expect(orderPlacedV1Schema.safeParse({ ...placedNow, schemaVersion: 2 }).success).toBe(false);
    expect(orderPlacedV1Schema.safeParse({ ...placedNow, lines: [{ sku: 'MUG-001', qty: 2 }] }).success).toBe(false);
  });

  it('carries the order in its lifecycle events: confirmed with its time, rejected with the reason', () => {
    const { schemaVersion, ...state } = placedNow;
    expect(orderConfirmedSchema.safeParse({ schemaVersion, ...state, confirmedAt: '2026-12-02T10:00:01.000Z' }).success).toBe(true);
    expect(orderRejectedSchema.safeParse({ schemaVersion, ...state, rejectedAt: '2026-12-02T10:00:01.000Z' }).success).toBe(false);
    expect(
      orderRejectedSchema.safeParse({
        schemaVersion,
        ...state,
        reason: 'MUG-001 is out of stock: 2 requested, 1 available',
        rejectedAt: '2026-12-02T10:00:01.000Z',
      }).success,
    ).toBe(true);
  });
});
