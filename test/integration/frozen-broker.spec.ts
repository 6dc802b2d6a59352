import { QUEUES, type ShopperStatusView, type SystemStatusView } from '@shop/contracts';
import { waitFor, type TcpProxy } from '@shop/testing';
import { ADMIN_TOKEN, anOrder, ShopHarness } from './harness';

// Both services reach the broker through one proxy, which then freezes: nothing passes, nothing
// closes (a dead NAT entry or a partition). The services run with their default heartbeat (5 s),
// so they notice 10 to 15 s later and reconnect; new connections go through, as they do after a NAT
// entry expired. Left at the broker's 60 s, the heartbeat would notice after 120 to 180 s.
const CONFIRMED_WITHIN_MS = 45_000; // detection, a reconnect backoff and the flow: about 20 s here; a 60 s heartbeat cannot make it
// GET /api/system/status (and /api/operations/status) waits at most its probe timeout (1 s by default) for the broker; a
// status that waits for the frozen link instead answers only once the heartbeat noticed (5 s or more).
const STATUS_CLIENT_TIMEOUT_MS = 4_000;

describe('the broker link frozen (no FIN, no RST)', () => {
  let shop: ShopHarness;
  let proxy: TcpProxy;

  beforeAll(async () => {
    shop = await ShopHarness.create();
    const broker = await shop.brokerProxy();
    proxy = broker.proxy;
    await shop.startOrderService(broker.url);
    await shop.startInventoryService(undefined, broker.url);
  });

  afterAll(async () => {
    await shop.stopOrderService();
    await shop.stopInventoryService();
    await proxy.stop();
    await shop.dispose();
  });

  it('is noticed by the heartbeat: orders placed during the freeze are confirmed once, and the status answers meanwhile', async () => {
    const warmUp = await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }]));
    await waitFor(async () => (await shop.orderStatus(warmUp.body.id)) === 'CONFIRMED', { what: 'the warm-up order CONFIRMED' });
    const before = await shop.available('MUG-001');

    proxy.freeze({ newConnections: 'forward' });
    const placed = [];
    for (let i = 0; i < 3; i++) placed.push(await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }])));
    expect(placed.map((order) => order.status)).toEqual([201, 201, 201]);

    // The shopper's word and the operators' figures come from the same probes; both answer within the client's timeout.
    const shopper = await fetch(`${shop.orderUrl}/api/system/status`, { signal: AbortSignal.timeout(STATUS_CLIENT_TIMEOUT_MS) });
    expect(shopper.status).toBe(200);
    expect(((await shopper.json()) as ShopperStatusView).confirmations).toBe('delayed');
    const response = await fetch(`${shop.orderUrl}/api/operations/status`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: AbortSignal.timeout(STATUS_CLIENT_TIMEOUT_MS),
    });
    expect(response.status).toBe(200);
    const status = (await response.json()) as SystemStatusView;
    expect(status.broker.reachable).toBe(false);
    expect(status.inventory).toEqual({ online: false, queueDepth: null, consumers: null });

    const ids = placed.map((order) => order.body.id as string);
    await waitFor(async () => (await Promise.all(ids.map((id) => shop.orderStatus(id)))).every((s) => s === 'CONFIRMED'), {
      timeoutMs: CONFIRMED_WITHIN_MS,
      intervalMs: 200,
      what: 'every order placed during the freeze CONFIRMED',
    });

    // The first publish went out on the frozen link and failed; the outbox kept the row and published it again. Its
    // missing confirm also made the service leave that connection at once, so a row written after that may go out
    // on the fresh connection at its first attempt.
    const { rows: outbox } = await shop.orders.query<{ published: boolean; publish_attempts: number }>(
      `SELECT published_at IS NOT NULL AS published, publish_attempts FROM outbox WHERE routing_key = 'order.placed' AND payload->>'orderId' = ANY($1)`,
      [ids],
    );
    expect(outbox).toHaveLength(3);
    for (const row of outbox) expect(row.published).toBe(true);
    expect(Math.max(...outbox.map((row) => row.publish_attempts))).toBeGreaterThanOrEqual(2);
    // Reserved once each, nothing dead-lettered.
    expect(await shop.available('MUG-001')).toBe(before - 3);
    const { rows: reservations } = await shop.inventory.query(`SELECT order_id FROM reservations WHERE order_id = ANY($1)`, [ids]);
    expect(reservations).toHaveLength(3);
    expect(await shop.deadLettersOf(QUEUES.inventoryOrderPlaced)).toBe(0);
    expect(await shop.deadLettersOf(QUEUES.ordersStockResults)).toBe(0);
  });
});
