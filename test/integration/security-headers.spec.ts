import { anOrder, ShopHarness } from './harness';

const UNKNOWN_ORDER = '00000000-0000-4000-8000-000000000000';

/**
 * What every API response says about itself (design 1.6): helmet's headers on successes, errors and
 * event streams of all three services, no banner, CORS closed, and the body limit.
 */
describe('security headers, CORS and the body limit of the three services', () => {
  let shop: ShopHarness;
  let notificationUrl: string;
  let orderId: string;

  beforeAll(async () => {
    shop = await ShopHarness.create();
    ({ url: notificationUrl } = await shop.startNotificationService());
    await shop.startOrderService();
    await shop.startInventoryService();
    orderId = (await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }]))).body.id;
  });

  afterAll(async () => {
    await shop?.dispose();
  });

  const base = (service: 'order' | 'inventory' | 'notification') =>
    service === 'order' ? shop.orderUrl : service === 'inventory' ? shop.inventoryUrl : notificationUrl;

  /** The status and headers of a response; a stream is cut once its headers arrived. */
  async function headersOf(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers }> {
    const abort = new AbortController();
    const response = await fetch(url, { ...init, signal: abort.signal });
    abort.abort();
    return { status: response.status, headers: response.headers };
  }

  const RESPONSES: { service: 'order' | 'inventory' | 'notification'; what: string; path: () => string; status: number }[] = [
    { service: 'order', what: 'a 200 JSON', path: () => '/api/products', status: 200 },
    { service: 'order', what: 'a 400', path: () => '/api/orders/42', status: 400 },
    { service: 'order', what: 'a 401', path: () => '/api/orders', status: 401 },
    { service: 'order', what: 'a 404', path: () => `/api/orders/${UNKNOWN_ORDER}`, status: 404 },
    { service: 'order', what: 'the event stream', path: () => `/api/orders/${orderId}/events`, status: 200 },
    { service: 'order', what: '/health/ready', path: () => '/health/ready', status: 200 },
    { service: 'inventory', what: 'a 200 JSON', path: () => '/api/stock', status: 200 },
    { service: 'inventory', what: 'a 400', path: () => '/api/stock/mug-001', status: 400 },
    { service: 'inventory', what: 'a 404', path: () => '/api/nothing-here', status: 404 },
    { service: 'inventory', what: '/health/ready', path: () => '/health/ready', status: 200 },
    { service: 'notification', what: 'a 200 JSON', path: () => `/api/notifications/orders/${UNKNOWN_ORDER}`, status: 200 },
    { service: 'notification', what: 'a 400', path: () => '/api/notifications/orders/42', status: 400 },
    { service: 'notification', what: 'a 404', path: () => '/api/nothing-here', status: 404 },
    { service: 'notification', what: '/health/ready', path: () => '/health/ready', status: 200 },
  ];

  it.each(RESPONSES)("$service-service's $what carries nosniff, no-referrer, frame-ancestors 'none', same-origin CORP", async ({ service, path, status }) => {
    const { status: actual, headers } = await headersOf(`${base(service)}${path()}`);
    expect(actual).toBe(status);
    if (path().endsWith('/events')) expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(headers.get('x-frame-options')).toBe('DENY');
    // HSTS belongs to whoever terminates TLS, not to a service behind it.
    expect(headers.get('strict-transport-security')).toBeNull();
  });

  it.each(RESPONSES)("$service-service's $what names no framework or version (no X-Powered-By, no Server)", async ({ service, path }) => {
    const { headers } = await headersOf(`${base(service)}${path()}`);
    expect(headers.get('x-powered-by')).toBeNull();
    expect(headers.get('server')).toBeNull();
  });

  it.each(['order', 'inventory', 'notification'] as const)(
    'CORS is closed on %s-service: a preflight and a GET from another Origin get no Access-Control-Allow-* header',
    async (service) => {
      const path = { order: '/api/orders', inventory: '/api/stock', notification: `/api/notifications/orders/${UNKNOWN_ORDER}` }[service];
      const origin = { origin: 'https://evil.example' };
      const preflight = await headersOf(`${base(service)}${path}`, {
        method: 'OPTIONS',
        headers: { ...origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      const get = await headersOf(`${base(service)}${path}`, { headers: origin });
      for (const { headers } of [preflight, get]) {
        expect([...headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
      }
      expect(preflight.status).toBe(404);
    },
  );

  it.each<{ what: string; path: string; headers: Record<string, string> }>([
    { what: 'a sign-in link request', path: '/api/sessions/link', headers: {} },
    { what: 'an order', path: '/api/orders', headers: { 'idempotency-key': crypto.randomUUID() } },
  ])('a 70 KB body to $what is refused with 413, nothing stored', async ({ path, headers }) => {
    // What either request would write; an earlier test's order may still add its order.confirmed row to the outbox meanwhile.
    const stored = `SELECT (SELECT count(*) FROM outbox WHERE routing_key IN ('signin.requested', 'order.placed'))::int AS outbox,
      (SELECT count(*) FROM sign_in_links)::int AS links, (SELECT count(*) FROM orders)::int AS orders`;
    const before = await shop.orders.query(stored);
    const response = await fetch(`${shop.orderUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ email: 'ada@example.com', padding: 'x'.repeat(70 * 1024) }),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const after = await shop.orders.query(stored);
    expect(after.rows).toEqual(before.rows);
  });
});
