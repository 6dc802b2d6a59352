import { catalogSearchStatement } from '../../apps/order-service/src/catalog/catalog.repository';
import { ShopHarness } from './harness';

/**
 * Rows added to the demo catalog so that each case has something to tell apart: "cotton" is in the name of
 * the tee and the socks and only in the description of the towel; "linen" is in the towel's name and only in
 * the reading lamp's description (and LMP-011 comes first in sku order, so only the rank puts the towel first).
 */
const EXTRA_PRODUCTS = [
  { sku: 'SCK-101', name: 'Cotton Socks', description: 'Three pairs of combed cotton socks.', priceCents: 3100 },
  { sku: 'TWL-102', name: 'Linen Towel', description: 'Stonewashed cotton, quick to dry.', priceCents: 3500 },
];

describe('catalog search and product pages (GET /api/products, GET /api/products/:sku)', () => {
  let shop: ShopHarness;

  beforeAll(async () => {
    shop = await ShopHarness.create();
    for (const product of EXTRA_PRODUCTS) {
      // No value for `search`: the generated column fills itself.
      await shop.orders.query(`INSERT INTO products (sku, name, description, price_cents, image_url) VALUES ($1, $2, $3, $4, '/images/none.svg')`, [
        product.sku,
        product.name,
        product.description,
        product.priceCents,
      ]);
    }
    // Only the order service runs: the catalog is its own table, inventory is not asked.
    await shop.startOrderService();
  });

  afterAll(async () => {
    await shop.dispose();
  });

  const list = async (query: string) => {
    const response = await fetch(`${shop.orderUrl}/api/products${query}`);
    const body: any = await response.json();
    return { status: response.status, body, skus: Array.isArray(body) ? body.map((product: { sku: string }) => product.sku) : [], headers: response.headers };
  };

  it('"mug" finds MUG-001; "cotton -socks" excludes socks', async () => {
    const mug = await list('?q=mug');
    expect(mug.status).toBe(200);
    expect(mug.body).toEqual([
      { sku: 'MUG-001', name: 'Stoneware Mug', description: 'A 350 ml mug, glazed in speckled sand.', priceCents: 1800, imageUrl: '/images/mug.svg' },
    ]);
    // "mugs" stems to the same lexeme; the typed case does not matter.
    expect((await list('?q=MUGS')).skus).toEqual(['MUG-001']);

    expect((await list('?q=cotton&sort=featured')).skus).toEqual(['SCK-101', 'TEE-002', 'TWL-102']);
    expect((await list(`?q=${encodeURIComponent('cotton -socks')}&sort=featured`)).skus).toEqual(['TEE-002', 'TWL-102']);
    expect((await list(`?q=${encodeURIComponent('"cotton tee" or blanket')}&sort=featured`)).skus).toEqual(['BLK-012', 'TEE-002']);
  });

  it('a name match ranks above a description-only match', async () => {
    const linen = await list('?q=linen');
    expect(linen.skus).toEqual(['TWL-102', 'LMP-011']);
    expect((await list('?q=linen&sort=featured')).skus).toEqual(['LMP-011', 'TWL-102']);
  });

  it('sort=price-asc/price-desc/name-asc orders the results', async () => {
    expect((await list('?q=cotton&sort=price-asc')).skus).toEqual(['TEE-002', 'SCK-101', 'TWL-102']);
    expect((await list('?q=cotton&sort=price-desc')).skus).toEqual(['TWL-102', 'SCK-101', 'TEE-002']);
    expect((await list('?q=cotton&sort=name-asc')).skus).toEqual(['SCK-101', 'TWL-102', 'TEE-002']);
    expect((await list('?q=cotton&sort=name-desc')).skus).toEqual(['TEE-002', 'TWL-102', 'SCK-101']);

    // Without a search, the whole catalog in that order; ties (none here) would fall back to the sku.
    const byPrice = await list('?sort=price-asc');
    const prices = byPrice.body.map((product: { priceCents: number }) => product.priceCents);
    expect(prices).toHaveLength(14);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(byPrice.skus[0]).toBe('NBK-005');
    const featured = await list('');
    expect(featured.skus).toEqual([...featured.skus].sort());
    expect(featured.skus).toHaveLength(14);
  });

  it('a search that cannot match (stop words, a prefix, bare syntax) answers an empty list, never an error', async () => {
    expect(await list(`?q=${encodeURIComponent('the and of')}`)).toMatchObject({ status: 200, body: [] });
    // Known limit: no prefix matching, "mu" is not "mug".
    expect(await list('?q=mu')).toMatchObject({ status: 200, body: [] });
    expect(await list(`?q=${encodeURIComponent('"unterminated -')}`)).toMatchObject({ status: 200, body: [] });
    expect(await list(`?q=${encodeURIComponent("mug'); DROP TABLE products; --")}`)).toMatchObject({ status: 200 });
    expect((await shop.orders.query(`SELECT count(*)::int AS products FROM products`)).rows[0].products).toBe(14);
  });

  it('the search uses products_search_idx', async () => {
    const client = await shop.orders.connect();
    try {
      // 14 rows fit one page, so the planner would rightly scan them: forbid that to see whether the index serves the search.
      await client.query(`SET enable_seqscan = off`);
      const { text, values } = catalogSearchStatement({ q: 'cotton -socks', sort: 'relevance' });
      const { rows } = await client.query(`EXPLAIN ${text}`, values);
      const plan = rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Bitmap Index Scan on products_search_idx/);
    } finally {
      await client.query(`RESET enable_seqscan`);
      client.release();
    }
  });

  it('only the unsearched list may be cached, briefly and publicly', async () => {
    expect((await list('')).headers.get('cache-control')).toBe('public, max-age=30');
    expect((await list('?sort=name-asc')).headers.get('cache-control')).toBe('public, max-age=30');
    expect((await list('?q=mug')).headers.get('cache-control')).toBe('no-store');
  });

  it('q over 100 characters, sort=cheapest and an unknown parameter answer 400 naming the field', async () => {
    const issues = async (query: string) => {
      const answer = await list(query);
      expect(answer.status).toBe(400);
      return answer.body.issues;
    };
    expect(await issues(`?q=${'m'.repeat(101)}`)).toEqual([{ field: 'q', message: 'must be at most 100 characters' }]);
    expect(await issues('?sort=cheapest')).toEqual([
      { field: 'sort', message: 'must be one of featured, relevance, price-asc, price-desc, name-asc, name-desc' },
    ]);
    expect(await issues('?q=mug&page=2')).toEqual([{ field: 'page', message: 'is unknown to this endpoint; leave it out' }]);
    expect(await issues('?sort=relevance')).toEqual([{ field: 'sort', message: 'relevance needs a search (q)' }]);
    // A cleared search box (q=) is no search, not an error.
    expect((await list('?q=&sort=name-asc')).status).toBe(200);
  });

  it('GET /api/products/MUG-001 while inventory-service is stopped answers 200', async () => {
    expect(shop.inventoryService).toBeNull();
    await expect(fetch(`${shop.inventoryUrl}/api/stock`)).rejects.toThrow();

    const response = await fetch(`${shop.orderUrl}/api/products/MUG-001`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      sku: 'MUG-001',
      name: 'Stoneware Mug',
      description: 'A 350 ml mug, glazed in speckled sand.',
      priceCents: 1800,
      imageUrl: '/images/mug.svg',
    });
    expect((await list('?q=mug')).skus).toEqual(['MUG-001']);
  });

  it('an unknown sku is 404 naming the product, a malformed one 400 naming sku', async () => {
    const missing = await fetch(`${shop.orderUrl}/api/products/MUG-000`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ statusCode: 404, message: 'product MUG-000 does not exist' });
    const malformed = await fetch(`${shop.orderUrl}/api/products/mug-001`);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).issues).toEqual([{ field: 'sku', message: 'must be an uppercase sku such as "MUG-001"' }]);
  });
});
