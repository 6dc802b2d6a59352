import { decideReservation } from './reservation-decision';

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
