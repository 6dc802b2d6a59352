import type { ShopperStatusView } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import { ShopHarness } from './harness';

describe("the shopper's status: one word, no figures", () => {
  let shop: ShopHarness;

  beforeAll(async () => {
    shop = await ShopHarness.create();
    await shop.startOrderService();
  });

  afterAll(async () => {
    await shop.dispose();
  });

  const shopperStatus = async (): Promise<Record<string, unknown>> => {
    const response = await fetch(`${shop.orderUrl}/api/system/status`);
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };
  const confirmations = async () => ((await shopperStatus()) as unknown as ShopperStatusView).confirmations;

  it('says delayed while inventory-service is stopped (no consumer on its queue), prompt while it runs, and never more than that', async () => {
    const stopped = await shopperStatus();
    expect(stopped).toEqual({ confirmations: 'delayed', checkedAt: expect.any(String), stuckAfterSeconds: expect.any(Number) });
    expect(Number.isNaN(Date.parse(stopped.checkedAt as string))).toBe(false);

    await shop.startInventoryService();
    await waitFor(async () => (await confirmations()) === 'prompt', { what: 'prompt once inventory consumes its queue' });
    // The stuck threshold is configuration, not a figure: the order page compares an order's age with it.
    expect(Object.keys(await shopperStatus()).sort()).toEqual(['checkedAt', 'confirmations', 'stuckAfterSeconds']);

    await shop.stopInventoryService();
    await waitFor(async () => (await confirmations()) === 'delayed', { what: 'delayed once inventory stopped' });
  });
});
