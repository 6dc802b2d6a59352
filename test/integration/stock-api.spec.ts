import { ADMIN_TOKEN, ShopHarness } from './harness';

describe('inventory-service stock API', () => {
  let shop: ShopHarness;

  beforeAll(async () => {
    shop = await ShopHarness.create();
    await shop.startInventoryService();
  });

  afterAll(async () => {
    await shop.dispose();
  });

  const restock = (sku: string, body: unknown, token?: string) =>
    fetch(`${shop.inventoryUrl}/api/stock/${sku}/restock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  it('lists stock for every sku of the catalog', async () => {
    const stock: any = await (await fetch(`${shop.inventoryUrl}/api/stock`)).json();
    expect(stock).toHaveLength(12);
    expect(stock[0]).toEqual({ sku: 'BAG-004', available: 45, updatedAt: expect.any(String) });
  });

  it('restocks with the admin token, and refuses without it or with bad input', async () => {
    expect((await restock('PEN-006', { quantity: 5 })).status).toBe(401);
    expect((await restock('PEN-006', { quantity: 5 }, 'wrong-token-wrong-token-1')).status).toBe(401);
    const invalid = await restock('PEN-006', { quantity: -5 }, ADMIN_TOKEN);
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as any).issues[0].field).toBe('quantity');
    expect((await restock('NOPE-1', { quantity: 5 }, ADMIN_TOKEN)).status).toBe(404);
    expect(await shop.available('PEN-006')).toBe(35);

    const ok = await restock('PEN-006', { quantity: 5 }, ADMIN_TOKEN);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ sku: 'PEN-006', available: 40 });
    expect(await shop.available('PEN-006')).toBe(40);
  });
});
