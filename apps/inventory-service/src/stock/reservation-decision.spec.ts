import { decideOrder, decideReservation } from './reservation-decision';

const stock = new Map([
  ['BAG-004', 5],
  ['MUG-001', 2],
  ['TEE-002', 0],
]);

describe('decideReservation', () => {
  it('reserves every line when all are available, in sku order', () => {
    expect(
      decideReservation(
        [
          { sku: 'MUG-001', quantity: 2 },
          { sku: 'BAG-004', quantity: 5 },
        ],
        stock,
      ),
    ).toEqual({
      reserve: true,
      lines: [
        { sku: 'BAG-004', quantity: 5 },
        { sku: 'MUG-001', quantity: 2 },
      ],
    });
  });

  it('rejects the whole order, naming the first short sku in sku order', () => {
    expect(
      decideReservation(
        [
          { sku: 'TEE-002', quantity: 1 },
          { sku: 'MUG-001', quantity: 3 },
        ],
        stock,
      ),
    ).toEqual({
      reserve: false,
      sku: 'MUG-001',
      reason: 'MUG-001 is out of stock: 3 requested, 2 available',
    });
  });

  it('adds up lines of the same sku before checking', () => {
    expect(
      decideReservation(
        [
          { sku: 'MUG-001', quantity: 1 },
          { sku: 'MUG-001', quantity: 2 },
        ],
        stock,
      ),
    ).toMatchObject({ reserve: false, sku: 'MUG-001' });
  });

  it('rejects a sku that is not stocked', () => {
    expect(decideReservation([{ sku: 'ZZZ-999', quantity: 1 }], stock)).toEqual({ reserve: false, sku: 'ZZZ-999', reason: 'ZZZ-999 is not stocked' });
  });
});

describe('decideOrder', () => {
  const now = new Date('2025-01-02T03:04:05.000Z');
  const earlier = new Date('2025-01-01T00:00:00.000Z');
  const reservedBefore = { reserve: true as const, lines: [{ sku: 'MUG-001', quantity: 2 }], decidedAt: earlier };
  const rejectedBefore = { reserve: false as const, sku: 'TEE-002', reason: 'TEE-002 is out of stock: 1 requested, 0 available', decidedAt: earlier };
  const restocked = new Map([
    ['MUG-001', 100],
    ['TEE-002', 100],
  ]);
  const soldOut = new Map([
    ['MUG-001', 0],
    ['TEE-002', 0],
  ]);

  it.each([
    [
      'a new order, enough stock: reserved now',
      [{ sku: 'MUG-001', quantity: 2 }],
      restocked,
      undefined,
      { decision: { ...reservedBefore, decidedAt: now }, repeated: false },
    ],
    [
      'a new order, too little stock: rejected now',
      [{ sku: 'TEE-002', quantity: 1 }],
      soldOut,
      undefined,
      { decision: { ...rejectedBefore, decidedAt: now }, repeated: false },
    ],
    [
      'a copy of a rejected order after a restock: still rejected, same reason',
      [{ sku: 'TEE-002', quantity: 1 }],
      restocked,
      rejectedBefore,
      { decision: rejectedBefore, repeated: true },
    ],
    [
      'a copy of a reserved order once sold out: still reserved, nothing new taken',
      [{ sku: 'MUG-001', quantity: 2 }],
      soldOut,
      reservedBefore,
      { decision: reservedBefore, repeated: true },
    ],
    [
      'a copy with other lines: the recorded decision, not the new lines',
      [{ sku: 'TEE-002', quantity: 9 }],
      restocked,
      reservedBefore,
      { decision: reservedBefore, repeated: true },
    ],
  ])('%s', (_case, requested, available, recorded, expected) => {
    expect(decideOrder(requested, available, recorded, now)).toEqual(expected);
  });
});
