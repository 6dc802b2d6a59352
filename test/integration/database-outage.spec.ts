import { QUEUES } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import { anOrder, ShopHarness } from './harness';

// Retries here wait 200 ms, then 500 ms, and a message is dead-lettered after 3 attempts: the
// whole ladder is about 1.2 s. The outage below lasts several times that.
const OUTAGE_MS = 5_000;

describe("inventory's database unreachable for longer than the whole retry ladder", () => {
  let shop: ShopHarness;

  beforeAll(async () => {
    shop = await ShopHarness.create({ retryDelaysMs: [200, 500], maxAttempts: 3 });
  });

  afterAll(async () => {
    await shop.dispose();
  });

  it('keeps the order (no dead letter) and reserves it once when the database is back', async () => {
    const { proxy, url } = await shop.inventoryDatabaseProxy();
    try {
      await shop.startOrderService();
      await shop.startInventoryService(url);
      const before = await shop.available('SCK-008');

      proxy.cut();
      const placed = await shop.placeOrder(anOrder([{ sku: 'SCK-008', quantity: 2 }]));
      expect(placed.status).toBe(201);
      // The fault itself: the database stays away for a set time while the message is retried.
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      expect(await shop.deadLettersOf(QUEUES.inventoryOrderPlaced)).toBe(0);
      expect(await shop.orderStatus(placed.body.id)).toBe('PENDING');

      proxy.restore();
      await waitFor(async () => (await shop.orderStatus(placed.body.id)) === 'CONFIRMED', { timeoutMs: 30_000, what: 'CONFIRMED after the outage' });
      expect(await shop.available('SCK-008')).toBe(before - 2);
      const { rows } = await shop.inventory.query(`SELECT sku, quantity FROM reservations WHERE order_id = $1`, [placed.body.id]);
      expect(rows).toEqual([{ sku: 'SCK-008', quantity: 2 }]);
      expect(await shop.deadLettersOf(QUEUES.inventoryOrderPlaced)).toBe(0);
    } finally {
      await shop.stopInventoryService();
      await proxy.stop();
    }
  });
});
