import { OPERATIONS_PREFIX, type OrderTimelineView } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import { ADMIN_TOKEN, anOrder, ShopHarness } from './harness';

/** Ways to present (or fail to present) the admin token, the same on every admin endpoint of every service. */
const BEARER_CASES: { name: string; authorization?: string; query?: string; status: number }[] = [
  { name: 'no Authorization header', status: 401 },
  { name: 'the bare token, without the Bearer scheme', authorization: ADMIN_TOKEN, status: 401 },
  { name: 'the token under another scheme', authorization: `Basic ${ADMIN_TOKEN}`, status: 401 },
  { name: 'the scheme glued to the token', authorization: `Bearer${ADMIN_TOKEN}`, status: 401 },
  { name: 'a tab instead of a space', authorization: `Bearer\t${ADMIN_TOKEN}`, status: 401 },
  { name: 'the token twice', authorization: `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}`, status: 401 },
  { name: 'the token with a character more', authorization: `Bearer ${ADMIN_TOKEN}x`, status: 401 },
  { name: 'a prefix of the token', authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}`, status: 401 },
  { name: 'the token in the query string', query: `?token=${ADMIN_TOKEN}`, status: 401 },
  { name: 'the token as access_token in the query string', query: `?access_token=${ADMIN_TOKEN}`, status: 401 },
  { name: 'the scheme alone, the token in the query string', authorization: 'Bearer', query: `?access_token=${ADMIN_TOKEN}`, status: 401 },
  { name: 'Bearer <token>', authorization: `Bearer ${ADMIN_TOKEN}`, status: 200 },
  { name: 'the scheme in lower case (RFC 7235: case-insensitive)', authorization: `bearer ${ADMIN_TOKEN}`, status: 200 },
  { name: 'the scheme in upper case', authorization: `BEARER ${ADMIN_TOKEN}`, status: 200 },
];

/** Where order-service links an order's trace (Jaeger's UI, as docker-compose.yml sets it). */
const TRACE_URL_TEMPLATE = 'http://localhost:16686/trace/{traceId}';

describe('the admin and operator surface', () => {
  let shop: ShopHarness;

  beforeAll(async () => {
    shop = await ShopHarness.create({ orderServiceEnv: { TRACE_URL_TEMPLATE } });
    await shop.startOrderService();
    await shop.startInventoryService();
    // The services connect to the broker after they start listening; the status figures below assume they did.
    await waitFor(
      async () => {
        const response = await fetch(`${shop.orderUrl}/api/operations/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        return ((await response.json()) as { broker?: { reachable?: boolean } }).broker?.reachable === true;
      },
      { what: 'order-service connected to the broker' },
    );
  });

  afterAll(async () => {
    await shop.dispose();
  });

  const restock = (authorization: string | undefined, query = '') =>
    fetch(`${shop.inventoryUrl}/api/stock/PEN-006/restock${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
      body: JSON.stringify({ quantity: 1 }),
    });

  const operationsStatus = (authorization: string | undefined, query = '') =>
    fetch(`${shop.orderUrl}/api/operations/status${query}`, { headers: authorization === undefined ? {} : { authorization } });

  it.each(BEARER_CASES)('restock with $name → $status, stock changed only when accepted', async ({ authorization, query, status }) => {
    const before = await shop.available('PEN-006');
    const response = await restock(authorization, query);
    expect(response.status).toBe(status);
    expect(await shop.available('PEN-006')).toBe(status === 200 ? before + 1 : before);
  });

  it.each(BEARER_CASES)(
    "order-service's GET /api/operations/status with $name → $status, figures only when accepted",
    async ({ authorization, query, status }) => {
      const response = await operationsStatus(authorization, query);
      expect(response.status).toBe(status);
      const body = (await response.json()) as Record<string, unknown>;
      if (status === 200) {
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(body).toMatchObject({
          broker: { reachable: true },
          outbox: { backlog: expect.any(Number) },
          inventory: { online: expect.any(Boolean) },
          checkedAt: expect.any(String),
        });
      } else {
        expect(body).toMatchObject({ statusCode: 401, message: expect.stringContaining('Authorization') });
        for (const figure of ['broker', 'outbox', 'inventory']) expect(body).not.toHaveProperty(figure);
      }
    },
  );

  it("every response that holds a shopper's name and email says Cache-Control: no-store", async () => {
    const placed = await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }], 'cache@example.com'));
    expect(placed.status).toBe(201);
    expect(placed.headers.get('cache-control')).toBe('no-store');
    const replayKey = crypto.randomUUID();
    await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }], 'cache@example.com'), replayKey);
    const replayed = await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }], 'cache@example.com'), replayKey);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.headers.get('cache-control')).toBe('no-store');

    const order = await fetch(`${shop.orderUrl}/api/orders/${placed.body.id}`);
    expect(order.status).toBe(200);
    expect(order.headers.get('cache-control')).toBe('no-store');
    // The list and the session name the email too; the list needs a session, opened through a link read back from the outbox.
    await fetch(`${shop.orderUrl}/api/sessions/link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":"cache@example.com"}',
    });
    const { rows } = await shop.orders.query(
      `SELECT payload->>'token' AS token FROM outbox WHERE routing_key = 'signin.requested' AND payload->>'email' = 'cache@example.com'`,
    );
    const signIn = await fetch(`${shop.orderUrl}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: rows[0].token }),
    });
    expect(signIn.status).toBe(201);
    expect(signIn.headers.get('cache-control')).toBe('no-store');
    const cookie = signIn.headers.getSetCookie()[0].split(';')[0];
    const session = await fetch(`${shop.orderUrl}/api/sessions/current`, { headers: { cookie } });
    expect(session.headers.get('cache-control')).toBe('no-store');
    const list = await fetch(`${shop.orderUrl}/api/orders`, { headers: { cookie } });
    expect(((await list.json()) as unknown[]).length).toBe(2);
    expect(list.headers.get('cache-control')).toBe('no-store');
  });

  it("an order's timeline names its trace: the trace id of its order.placed row, linked by TRACE_URL_TEMPLATE", async () => {
    const placed = await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }]));
    expect(placed.status).toBe(201);
    const { rows } = await shop.orders.query<{ traceparent: string }>(
      `SELECT headers->>'traceparent' AS traceparent FROM outbox WHERE routing_key = 'order.placed' AND headers->>'x-correlation-id' = $1`,
      [placed.body.id],
    );
    expect(rows).toHaveLength(1);
    const traceId = rows[0].traceparent.split('-')[1];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const response = await fetch(`${shop.orderUrl}${OPERATIONS_PREFIX.orders}/${placed.body.id}/timeline`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
    const view = (await response.json()) as OrderTimelineView;
    expect(view).toMatchObject({ orderId: placed.body.id, traceId, traceUrl: `http://localhost:16686/trace/${traceId}` });
  });

  it.each(['order', 'inventory'] as const)('the %s service serves /metrics on its own port, not on the API port', async (service) => {
    const apiUrl = service === 'order' ? shop.orderUrl : shop.inventoryUrl;
    const metricsUrl = shop.metricsUrl(service);
    expect(new URL(metricsUrl).port).not.toBe(new URL(apiUrl).port);

    const scrape = await fetch(`${metricsUrl}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await scrape.text()).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect((await fetch(`${apiUrl}/metrics`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/api/stock`)).status).toBe(404);
  });
});

describe('the operator surface of an order-service started without ADMIN_TOKEN', () => {
  let shop: ShopHarness;

  beforeAll(async () => {
    shop = await ShopHarness.create({ orderServiceEnv: { ADMIN_TOKEN: undefined } });
    await shop.startOrderService();
  });

  afterAll(async () => {
    await shop.dispose();
  });

  it.each([undefined, `Bearer ${ADMIN_TOKEN}`])('GET /api/operations/status with Authorization %s → 403: the operator view is off', async (authorization) => {
    const response = await fetch(`${shop.orderUrl}/api/operations/status`, { headers: authorization === undefined ? {} : { authorization } });
    expect(response.status).toBe(403);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ statusCode: 403, message: expect.stringContaining('ADMIN_TOKEN is not configured') });
    for (const figure of ['broker', 'outbox', 'inventory']) expect(body).not.toHaveProperty(figure);
    // The shopper's word does not depend on the operators' credential.
    expect((await fetch(`${shop.orderUrl}/api/system/status`)).status).toBe(200);
  });
});
