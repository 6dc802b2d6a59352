import { DEMO_CATALOG, type LedgerEntry } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import { randomUUID } from 'node:crypto';
import { createDriver } from '../src/create-driver';
import type { SystemDriver } from '../src/driver';
import { readLedger } from '../src/promise-check';

const ORDERS = 20;

/**
 * The decoupling, with payments in the saga: inventory, payment-service and the card processor all
 * stopped, and orders are still accepted (201, PENDING, answered at once); once they return, every
 * order is reserved, paid and confirmed, and the provider's ledger shows each total authorized and
 * captured once.
 */
describe('S12b: orders accepted while inventory, payment-service and the provider are all stopped, completed when they return', () => {
  let system: SystemDriver;

  beforeAll(async () => {
    system = await createDriver({});
    await system.start();
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('answers 201 PENDING without them, then confirms and captures every order exactly once', async () => {
    for (const service of ['inventory-service', 'payment-service', 'payment-provider'] as const) await system.stopService(service);

    const placed: { id: string; totalCents: number }[] = [];
    for (let n = 0; n < ORDERS; n++) {
      const product = DEMO_CATALOG[n % 6];
      const response = await fetch(`${system.url('order-service')}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({
          customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
          lines: [{ sku: product.sku, quantity: 1 }],
          payment: { token: 'tok_success' },
        }),
      });
      const body = (await response.json()) as { id: string; status: string; totalCents: number };
      expect([response.status, body.status]).toEqual([201, 'PENDING']);
      placed.push({ id: body.id, totalCents: body.totalCents });
    }
    const ids = placed.map((order) => order.id);
    const statuses = async () =>
      (
        await system
          .sql('orders')
          .query<{ status: string; count: number }>(`SELECT status, count(*)::int AS count FROM orders WHERE id = ANY($1::uuid[]) GROUP BY status`, [ids])
      ).rows;
    // Nothing moves them on while the three are away.
    expect(await statuses()).toEqual([{ status: 'PENDING', count: ORDERS }]);

    for (const service of ['payment-provider', 'payment-service', 'inventory-service'] as const) await system.startService(service);
    await waitFor(async () => JSON.stringify(await statuses()) === JSON.stringify([{ status: 'CONFIRMED', count: ORDERS }]), {
      what: 'every order confirmed once inventory, payment-service and the provider are back',
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    await waitFor(
      async () =>
        (await system.sql('orders').query(`SELECT 1 FROM orders WHERE id = ANY($1::uuid[]) AND payment_status IS DISTINCT FROM 'captured'`, [ids])).rowCount ===
        0,
      { what: 'every payment captured', timeoutMs: 60_000, intervalMs: 500 },
    );

    const ledger = (await readLedger(system)).filter((entry) => ids.includes(entry.reference));
    const byOrder = (orderId: string) => ledger.filter((entry) => entry.reference === orderId).map((entry: LedgerEntry) => [entry.kind, entry.amountCents]);
    expect(placed.map((order) => [order.id, byOrder(order.id)])).toEqual(
      placed.map((order) => [
        order.id,
        [
          ['authorize', order.totalCents],
          ['capture', order.totalCents],
        ],
      ]),
    );
  });
});
