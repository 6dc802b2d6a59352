import { priceLines } from './pricing';

const catalog = new Map([
  ['MUG-001', { name: 'Stoneware Mug', priceCents: 1800 }],
  ['TEE-002', { name: 'Organic Cotton Tee', priceCents: 2900 }],
]);

describe('priceLines', () => {
  it('prices lines from the catalog and totals them', () => {
    expect(
      priceLines(
        [
          { sku: 'MUG-001', quantity: 3 },
          { sku: 'TEE-002', quantity: 1 },
        ],
        catalog,
      ),
    ).toEqual({
      ok: true,
      totalCents: 3 * 1800 + 2900,
      lines: [
        { sku: 'MUG-001', productName: 'Stoneware Mug', quantity: 3, unitPriceCents: 1800 },
        { sku: 'TEE-002', productName: 'Organic Cotton Tee', quantity: 1, unitPriceCents: 2900 },
      ],
    });
  });

  it('names every line whose sku the catalog does not have', () => {
    expect(
      priceLines(
        [
          { sku: 'NOPE-1', quantity: 1 },
          { sku: 'MUG-001', quantity: 1 },
          { sku: 'NOPE-2', quantity: 1 },
        ],
        catalog,
      ),
    ).toEqual({ ok: false, unknownLineIndexes: [0, 2] });
  });
});
