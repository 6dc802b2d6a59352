import { waitFor } from '@shop/testing';
import type { SmtpCatcher } from '../../apps/notification-service/test/smtp-catcher';
import { anOrder, ShopHarness } from './harness';

/**
 * The receiver added without touching the order system: order-service and inventory-service run
 * as they are, notification-service subscribes to what order-service already publishes, and the
 * shopper's emails arrive at a real SMTP server.
 */
describe('order lifecycle to the shopper’s inbox', () => {
  let shop: ShopHarness;
  let notificationsUrl: string;
  let smtp: SmtpCatcher;

  beforeAll(async () => {
    shop = await ShopHarness.create();
    ({ url: notificationsUrl, smtp } = await shop.startNotificationService());
    await shop.startOrderService();
    await shop.startInventoryService();
  });

  afterAll(async () => {
    await shop?.dispose();
  });

  it('emails "received" then "confirmed" for an order placed through the API, with its lines and total', async () => {
    const placed = await shop.placeOrder(
      anOrder(
        [
          { sku: 'MUG-001', quantity: 2 },
          { sku: 'TEE-002', quantity: 1 },
        ],
        'flow@example.com',
      ),
    );
    expect(placed.status).toBe(201);
    const id = placed.body.id as string;
    await waitFor(() => smtp.emailsOf(id).length === 2, { what: 'the received and confirmed emails' });
    const [received, confirmed] = smtp.emailsOf(id);
    expect([received.headers.get('subject'), confirmed.headers.get('subject')]).toEqual(['We received your order', 'Your order is confirmed']);
    expect(confirmed.headers.get('message-id')).toBe(`<confirmed.${id}@shop.example>`);
    expect(confirmed.envelopeTo).toEqual(['flow@example.com']);
    expect(confirmed.text).toContain('2 × Stoneware Mug ($18.00 each): $36.00');
    expect(confirmed.text).toContain(`Total: $${((2 * 1800 + 2900) / 100).toFixed(2)}`);
    expect(confirmed.text).toContain(`https://shop.example/orders/${id}`);
    await waitFor(async () => ((await (await fetch(`${notificationsUrl}/api/notifications/orders/${id}`)).json()) as unknown[]).length === 2, {
      what: 'both emails listed for the storefront',
    });
  });

  it('emails "could not confirm" with the product that was short when stock runs out', async () => {
    await shop.inventory.query(`UPDATE stock SET available = 0 WHERE sku = 'LMP-011'`);
    const placed = await shop.placeOrder(anOrder([{ sku: 'LMP-011', quantity: 1 }], 'short@example.com'));
    const id = placed.body.id as string;
    await waitFor(() => smtp.emailsOf(id).some((email) => email.headers.get('x-shop-event') === 'order.rejected'), { what: 'the rejection email' });
    const rejection = smtp.emailsOf(id).find((email) => email.headers.get('x-shop-event') === 'order.rejected')!;
    expect(rejection.headers.get('subject')).toBe('We could not confirm your order');
    expect(rejection.text).toMatch(/is sold out\./);
    expect(rejection.text).toContain('Nothing was charged.');
  });
});
