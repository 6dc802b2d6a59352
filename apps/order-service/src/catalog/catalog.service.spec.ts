import type { DataSource, FindOperator } from 'typeorm';
import { CatalogService } from './catalog.service';
import type { Product } from './product.entity';

/** A catalog table in memory, counting the skus each read asked for. */
function fakeCatalog(prices: Record<string, number>) {
  const reads: string[][] = [];
  const dataSource = {
    getRepository: () => ({
      findBy: async ({ sku }: { sku: FindOperator<string[]> }) => {
        const skus = sku.value as unknown as string[];
        reads.push([...skus]);
        return skus.filter((wanted) => wanted in prices).map((wanted) => ({ sku: wanted, name: wanted, priceCents: prices[wanted] }) as Product);
      },
    }),
  } as unknown as DataSource;
  return { dataSource, reads };
}

describe('CatalogService.findBySkus', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-25T12:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('reads a product once within the cache time, then again, so a price change applies', async () => {
    const prices = { 'MUG-001': 1800, 'TEE-002': 2900 };
    const { dataSource, reads } = fakeCatalog(prices);
    const catalog = new CatalogService(dataSource, 5_000);

    expect((await catalog.findBySkus(['MUG-001', 'TEE-002'])).get('MUG-001')?.priceCents).toBe(1800);
    prices['MUG-001'] = 2000;
    jest.advanceTimersByTime(4_999);
    expect((await catalog.findBySkus(['MUG-001'])).get('MUG-001')?.priceCents).toBe(1800);
    expect(reads).toEqual([['MUG-001', 'TEE-002']]);

    jest.advanceTimersByTime(1);
    expect((await catalog.findBySkus(['MUG-001', 'TEE-002'])).get('MUG-001')?.priceCents).toBe(2000);
    expect(reads).toEqual([
      ['MUG-001', 'TEE-002'],
      ['MUG-001', 'TEE-002'],
    ]);
  });

  it('reads only the skus it does not hold, and never caches an unknown sku', async () => {
    const prices: Record<string, number> = { 'MUG-001': 1800 };
    const { dataSource, reads } = fakeCatalog(prices);
    const catalog = new CatalogService(dataSource, 5_000);

    await catalog.findBySkus(['MUG-001']);
    expect([...(await catalog.findBySkus(['MUG-001', 'NEW-013'])).keys()]).toEqual(['MUG-001']);
    prices['NEW-013'] = 990; // added to the catalog: orderable at once
    expect((await catalog.findBySkus(['NEW-013'])).get('NEW-013')?.priceCents).toBe(990);
    expect(reads).toEqual([['MUG-001'], ['NEW-013'], ['NEW-013']]);
  });

  it('reads every time when the cache time is 0', async () => {
    const { dataSource, reads } = fakeCatalog({ 'MUG-001': 1800 });
    const catalog = new CatalogService(dataSource, 0);
    await catalog.findBySkus(['MUG-001']);
    await catalog.findBySkus(['MUG-001']);
    expect(reads).toEqual([['MUG-001'], ['MUG-001']]);
  });
});
