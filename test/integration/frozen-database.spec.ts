import type { ApiErrorBody } from '@shop/contracts';
import { waitFor, type TcpProxy } from '@shop/testing';
import { ADMIN_TOKEN, anOrder, ShopHarness } from './harness';

// order-service reaches its database through a proxy that freezes (nothing passes, nothing closes:
// a partition) or cuts. With the default timeouts a POST gives up within about 6 s (a statement
// gets 5 s, the client waits 1 s more; a new connection 3 s); 20 s is a wide margin for that,
// and a service without those timeouts waits for a frozen link forever.
const ANSWERED_WITHIN_MS = 20_000;

interface Answer {
  status: number;
  retryAfter: string | null;
  body: ApiErrorBody & { id?: string };
}

describe("order-service's database link frozen or cut", () => {
  let shop: ShopHarness;
  let proxy: TcpProxy;

  const post = async (idempotencyKey: string): Promise<Answer> => {
    const response = await fetch(`${shop.orderUrl}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(anOrder([{ sku: 'CAP-003', quantity: 1 }])),
      signal: AbortSignal.timeout(ANSWERED_WITHIN_MS),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Answer['body'] };
  };
  const statusOf = async (path: string, headers: Record<string, string> = {}): Promise<number> =>
    (await fetch(`${shop.orderUrl}${path}`, { headers, signal: AbortSignal.timeout(ANSWERED_WITHIN_MS) })).status;
  /** Read straight from the database, not through the proxy. */
  const ordersWithKey = async (idempotencyKey: string): Promise<number> =>
    (await shop.orders.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE idempotency_key = $1`, [idempotencyKey])).rows[0].n;

  beforeAll(async () => {
    shop = await ShopHarness.create();
    const database = await shop.ordersDatabaseProxy();
    proxy = database.proxy;
    await shop.startOrderService(undefined, database.url);
  });

  afterAll(async () => {
    await shop.stopOrderService();
    await proxy.stop();
    await shop.dispose();
  });

  it('frozen: POST answers 503 with Retry-After instead of hanging, readiness says not ready; after the thaw the same key places the order once', async () => {
    expect((await post(crypto.randomUUID())).status).toBe(201); // pool connections open, catalog read

    proxy.freeze();
    const key = crypto.randomUUID();
    const refused = await post(key);
    expect(refused.status).toBe(503);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/try again/i) });
    expect(await ordersWithKey(key)).toBe(0);
    expect(await statusOf('/health/ready')).toBe(503);
    expect(await statusOf('/api/system/status')).toBe(503);
    expect(await statusOf('/api/operations/status', { authorization: `Bearer ${ADMIN_TOKEN}` })).toBe(503);

    proxy.thaw();
    await waitFor(async () => (await statusOf('/health/ready')) === 200, { what: 'ready after the thaw' });
    // The frozen INSERT may reach the database at the thaw (TCP delivers what it held) and commit:
    // the retry with the same key then gets that order; either way there is exactly one.
    const retried = await post(key);
    expect(retried.status).toBe(201);
    expect(await ordersWithKey(key)).toBe(1);
  });

  it('cut: POST answers 503 with Retry-After and stores nothing, readiness says not ready; after restore, POST works', async () => {
    proxy.cut();
    const key = crypto.randomUUID();
    const refused = await post(key);
    expect(refused.status).toBe(503);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(await statusOf('/health/ready')).toBe(503);

    proxy.restore();
    await waitFor(async () => (await statusOf('/health/ready')) === 200, { what: 'ready after the restore' });
    expect(await ordersWithKey(key)).toBe(0);
    const placed = await post(key);
    expect(placed.status).toBe(201);
    expect(await shop.orderStatus(placed.body.id!)).toBe('PENDING');
    expect(await ordersWithKey(key)).toBe(1);
  });
});
