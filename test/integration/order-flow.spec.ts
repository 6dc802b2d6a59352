import { QUEUES, type SystemStatusView } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import { ADMIN_TOKEN, anOrder, ShopHarness } from './harness';

describe('an order travels from order-service to inventory-service and back', () => {
  let shop: ShopHarness;

  beforeAll(async () => {
    shop = await ShopHarness.create();
  });

  afterAll(async () => {
    await shop.dispose();
  });

  afterEach(async () => {
    await shop.stopOrderService();
    await shop.stopInventoryService();
  });

  it('a. accepts an order while inventory is down; inventory reserves it once when it starts', async () => {
    await shop.startOrderService();
    const before = await shop.available('MUG-001');

    const placed = await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 3 }]));
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ status: 'PENDING', totalCents: 3 * 1800 });

    // The message waits in inventory's queue, nobody consuming it.
    await waitFor(async () => (await shop.queueDepth(QUEUES.inventoryOrderPlaced)) === 1, { what: 'order.placed in the queue' });
    expect(await shop.orderStatus(placed.body.id)).toBe('PENDING');

    await shop.startInventoryService();
    await waitFor(async () => (await shop.orderStatus(placed.body.id)) === 'CONFIRMED', { what: 'CONFIRMED' });
    expect(await shop.available('MUG-001')).toBe(before - 3);
    const { rows } = await shop.inventory.query(`SELECT sku, quantity FROM reservations WHERE order_id = $1`, [placed.body.id]);
    expect(rows).toEqual([{ sku: 'MUG-001', quantity: 3 }]);
  });

  it('b. accepts an order while the broker is unreachable; the outbox publishes it when the broker is back', async () => {
    const { proxy, url } = await shop.brokerProxy();
    try {
      await shop.startInventoryService();
      await shop.startOrderService(url);
      proxy.cut();
      const operatorStatus = async () =>
        (await (await fetch(`${shop.orderUrl}/api/operations/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as SystemStatusView;
      await waitFor(async () => (await operatorStatus()).broker.reachable === false, { what: 'broker unreachable' });

      const placed = await shop.placeOrder(anOrder([{ sku: 'TEE-002', quantity: 1 }]));
      expect(placed.status).toBe(201);
      // The relay has tried and failed; the row is kept, unpublished.
      await waitFor(
        async () => {
          const { rows } = await shop.orders.query(`SELECT published_at, publish_attempts FROM outbox WHERE payload->>'orderId' = $1`, [placed.body.id]);
          return rows.length === 1 && rows[0].published_at === null && rows[0].publish_attempts > 0;
        },
        { what: 'a failed publish attempt on a kept outbox row' },
      );

      proxy.restore();
      await waitFor(async () => (await shop.orderStatus(placed.body.id)) === 'CONFIRMED', { what: 'CONFIRMED after the broker came back' });
      // The order.confirmed it committed with CONFIRMED follows a moment later.
      await waitFor(
        async () => (await shop.orders.query(`SELECT count(*)::int AS unpublished FROM outbox WHERE published_at IS NULL`)).rows[0].unpublished === 0,
        { what: 'the outbox published' },
      );
    } finally {
      await proxy.stop();
    }
  });

  it('f. 200 concurrent orders for a sku with 50 in stock reserve exactly 50 units and reject the rest', async () => {
    await shop.inventory.query(`UPDATE stock SET available = 50 WHERE sku = 'CND-009'`);
    await shop.startOrderService();
    await shop.startInventoryService();

    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => shop.placeOrder(anOrder([{ sku: 'CND-009', quantity: 1 }], `buyer${i}@example.com`))),
    );
    expect(results.map((result) => result.status)).toEqual(Array(200).fill(201));
    const ids = results.map((result) => result.body.id as string);

    const statuses = await waitFor(
      async () => {
        const { rows } = await shop.orders.query<{ status: string; count: number }>(
          `SELECT status, count(*)::int AS count FROM orders WHERE id = ANY($1::uuid[]) AND status <> 'PENDING' GROUP BY status`,
          [ids],
        );
        const settled = Object.fromEntries(rows.map((row) => [row.status, row.count]));
        return (settled.CONFIRMED ?? 0) + (settled.REJECTED ?? 0) === 200 ? settled : undefined;
      },
      { timeoutMs: 60_000, what: 'all 200 orders settled' },
    );

    expect(statuses).toEqual({ CONFIRMED: 50, REJECTED: 150 });
    expect(await shop.available('CND-009')).toBe(0);
    const { rows } = await shop.inventory.query(`SELECT coalesce(sum(quantity), 0)::int AS reserved FROM reservations WHERE sku = 'CND-009'`);
    expect(rows[0].reserved).toBe(50);
    const rejected = await shop.orders.query(`SELECT DISTINCT status_reason FROM orders WHERE id = ANY($1::uuid[]) AND status = 'REJECTED'`, [ids]);
    expect(rejected.rows.every((row) => /CND-009 is out of stock/.test(row.status_reason))).toBe(true);
  });

  it('g. the same Idempotency-Key and body return the same order, once; a different body is refused', async () => {
    await shop.startOrderService();
    const key = `checkout-${Date.now()}`;
    const body = anOrder([{ sku: 'PEN-006', quantity: 2 }], 'grace@example.com');

    const attempts = await Promise.all([shop.placeOrder(body, key), shop.placeOrder(body, key), shop.placeOrder(body, key)]);
    expect(attempts.map((attempt) => attempt.status)).toEqual([201, 201, 201]);
    const ids = new Set(attempts.map((attempt) => attempt.body.id));
    expect(ids.size).toBe(1);
    expect(attempts.filter((attempt) => attempt.headers.get('idempotent-replayed') === 'true')).toHaveLength(2);

    const [id] = ids;
    const orders = await shop.orders.query(`SELECT count(*)::int AS n FROM orders WHERE idempotency_key = $1`, [key]);
    const outbox = await shop.orders.query(`SELECT count(*)::int AS n FROM outbox WHERE payload->>'orderId' = $1`, [id]);
    expect(orders.rows[0].n).toBe(1);
    expect(outbox.rows[0].n).toBe(1);

    const different = await shop.placeOrder(anOrder([{ sku: 'PEN-006', quantity: 3 }], 'grace@example.com'), key);
    expect(different.status).toBe(422);
    expect(different.body.issues).toEqual([{ field: 'Idempotency-Key', message: 'was already used with a different request body' }]);
    const after = await shop.orders.query(`SELECT count(*)::int AS n FROM orders WHERE idempotency_key = $1`, [key]);
    expect(after.rows[0].n).toBe(1);
  });
  it('h. concurrent POSTs go in shared statements (group commit), each answered as alone: a bad one gets its 400, a repeated key its replay', async () => {
    // A real product whose total at 100 units overflows the orders' int column: the database refuses that order's statement.
    await shop.orders.query(
      `INSERT INTO products (sku, name, description, price_cents, image_url) VALUES ('WATCH-001', 'Watch', 'A watch', 25000000, '/w.png') ON CONFLICT DO NOTHING`,
    );
    await shop.startOrderService();
    const key = `checkout-h-${Date.now()}`;
    const repeated = anOrder([{ sku: 'PEN-006', quantity: 1 }], 'hopper@example.com');
    const [bad, first, second, ...others] = await Promise.all([
      shop.placeOrder(anOrder([{ sku: 'WATCH-001', quantity: 100 }], 'spender@example.com')),
      shop.placeOrder(repeated, key),
      shop.placeOrder(repeated, key),
      ...Array.from({ length: 40 }, (_, i) => shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }], `batch${i}@example.com`))),
    ]);

    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual([{ field: 'body', message: expect.stringContaining('out of range') }]);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).toBe(first.body.id);
    expect([first, second].filter((attempt) => attempt.headers.get('idempotent-replayed') === 'true')).toHaveLength(1);
    expect(others.map((other) => other.status)).toEqual(Array(40).fill(201));
    const ids = [first.body.id, ...others.map((other) => other.body.id)];
    const stored = await shop.orders.query(
      `SELECT (SELECT count(*)::int FROM orders WHERE id = ANY($1::uuid[])) AS orders,
              (SELECT count(*)::int FROM order_lines WHERE order_id = ANY($1::uuid[])) AS lines,
              (SELECT count(*)::int FROM outbox WHERE (payload->>'orderId')::uuid = ANY($1::uuid[])) AS placed,
              (SELECT count(*)::int FROM orders WHERE customer_email = 'spender@example.com') AS bad`,
      [ids],
    );
    expect(stored.rows[0]).toEqual({ orders: 41, lines: 41, placed: 41, bad: 0 });
  });
});
