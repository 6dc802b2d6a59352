import { EXCHANGES, ORDER_LIMITS, QUEUES, ROUTING_KEYS } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import { connect } from 'node:net';
import { ADMIN_TOKEN, anOrder, ShopHarness } from './harness';

const payment = { token: 'tok_success' };
const line = (quantity: unknown, sku: unknown = 'MUG-001') => ({ customer: { name: 'Ada', email: 'ada@example.com' }, lines: [{ sku, quantity }], payment });
const named = (name: unknown) => ({ customer: { name, email: 'ada@example.com' }, lines: [{ sku: 'MUG-001', quantity: 1 }], payment });

/** Each case: what is sent, the status expected, and the field the error must name. */
const CASES: { name: string; body: unknown; key?: string | null; contentType?: string; status: number; field: RegExp }[] = [
  { name: 'unknown sku', body: line(1, 'NOPE-404'), status: 422, field: /lines\.0\.sku/ },
  { name: 'quantity 0', body: line(0), status: 400, field: /lines\.0\.quantity/ },
  { name: 'negative quantity', body: line(-2), status: 400, field: /lines\.0\.quantity/ },
  { name: 'fractional quantity', body: line(1.5), status: 400, field: /lines\.0\.quantity/ },
  { name: 'huge quantity', body: line(1e9), status: 400, field: /lines\.0\.quantity/ },
  { name: 'quantity as a string', body: line('2'), status: 400, field: /lines\.0\.quantity/ },
  { name: 'malformed sku', body: line(1, 'mug 1; DROP TABLE'), status: 400, field: /lines\.0\.sku/ },
  {
    name: 'duplicate sku lines',
    body: {
      ...line(1),
      lines: [
        { sku: 'MUG-001', quantity: 1 },
        { sku: 'MUG-001', quantity: 1 },
      ],
    },
    status: 400,
    field: /lines\.1\.sku/,
  },
  { name: 'missing email', body: { customer: { name: 'Ada' }, lines: [{ sku: 'MUG-001', quantity: 1 }], payment }, status: 400, field: /customer\.email/ },
  { name: 'invalid email', body: anOrder([{ sku: 'MUG-001', quantity: 1 }], 'not-an-email'), status: 400, field: /customer\.email/ },
  {
    name: 'empty name',
    body: { customer: { name: '  ', email: 'a@b.co' }, lines: [{ sku: 'MUG-001', quantity: 1 }], payment },
    status: 400,
    field: /customer\.name/,
  },
  { name: 'no payment', body: { customer: { name: 'Ada', email: 'a@b.co' }, lines: [{ sku: 'MUG-001', quantity: 1 }] }, status: 400, field: /payment/ },
  { name: 'a payment token that is a card number', body: { ...line(1), payment: { token: 42 } }, status: 400, field: /payment\.token/ },
  { name: 'no lines', body: anOrder([]), status: 400, field: /lines/ },
  {
    name: '1,000 lines',
    body: anOrder(Array.from({ length: 1000 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }))),
    status: 400,
    field: /lines/,
  },
  { name: 'unexpected field (a client-side price)', body: { ...line(1), totalCents: 1 }, status: 400, field: /totalCents|body/ },
  { name: 'malformed JSON', body: '{"customer": {', status: 400, field: /JSON/ },
  { name: 'wrong content type', body: 'customer=ada', contentType: 'text/plain', status: 415, field: /Media Type/ },
  { name: 'oversized body', body: JSON.stringify({ ...line(1), padding: 'x'.repeat(200_000) }), status: 413, field: /too large/ },
  { name: 'missing Idempotency-Key', body: line(1), key: null, status: 400, field: /Idempotency-Key/ },
  { name: 'Idempotency-Key with spaces', body: line(1), key: 'has spaces', status: 400, field: /Idempotency-Key/ },
  { name: 'Idempotency-Key of 10,000 characters', body: line(1), key: 'k'.repeat(10_000), status: 400, field: /Idempotency-Key/ },
  { name: 'a name that is only NUL', body: named('\u0000'), status: 400, field: /customer\.name/ },
  { name: 'a NUL inside a name', body: named('Ada\u0000Lovelace'), status: 400, field: /customer\.name/ },
  { name: 'a name of zero-width spaces', body: named('\u200b\u200b\u200b'), status: 400, field: /customer\.name/ },
  { name: 'a name of a BOM and a word joiner', body: named('\ufeff\u2060'), status: 400, field: /customer\.name/ },
  { name: 'a name with a terminal escape code', body: named('Ada\u001b[2J\u001b[31mroot'), status: 400, field: /customer\.name/ },
  { name: 'a name with a C1 control', body: named('Ada\u009bLovelace'), status: 400, field: /customer\.name/ },
  { name: 'a name with a line break', body: named('Ada\nLovelace'), status: 400, field: /customer\.name/ },
  { name: 'a name with a direction override', body: named('Ada\u202egnp.exe'), status: 400, field: /customer\.name/ },
  // JSON.stringify escapes a lone surrogate as \ud800, which the server parses back into one.
  { name: 'a name with a lone surrogate', body: named('Ada \ud800'), status: 400, field: /customer\.name/ },
  { name: 'a name of 121 characters', body: named('a'.repeat(121)), status: 400, field: /customer\.name/ },
  { name: 'a name that is a number', body: named(42), status: 400, field: /customer\.name/ },
  { name: 'a NUL in the email', body: anOrder([{ sku: 'MUG-001', quantity: 1 }], 'ada\u0000@example.com'), status: 400, field: /customer\.email/ },
  { name: 'an email with a lone surrogate', body: anOrder([{ sku: 'MUG-001', quantity: 1 }], 'ada\udc00@example.com'), status: 400, field: /customer\.email/ },
  {
    name: 'an email of 300 characters',
    body: anOrder([{ sku: 'MUG-001', quantity: 1 }], `${'a'.repeat(288)}@example.com`),
    status: 400,
    field: /customer\.email/,
  },
  { name: 'a NUL in a sku', body: line(1, 'MUG-001\u0000'), status: 400, field: /lines\.0\.sku/ },
  {
    name: 'a quantity beyond double precision (1e400)',
    body: '{"customer":{"name":"Ada","email":"a@b.co"},"lines":[{"sku":"MUG-001","quantity":1e400}],"payment":{"token":"tok_success"}}',
    status: 400,
    field: /lines\.0\.quantity/,
  },
  {
    name: 'a quantity of 2^53 + 1',
    body: '{"customer":{"name":"Ada","email":"a@b.co"},"lines":[{"sku":"MUG-001","quantity":9007199254740993}],"payment":{"token":"tok_success"}}',
    status: 400,
    field: /lines\.0\.quantity/,
  },
  { name: 'a body that is a JSON array', body: '[]', status: 400, field: /body/ },
  { name: 'a body that is JSON null', body: 'null', status: 400, field: /body/ },
  { name: 'a body that is a JSON string', body: '"order"', status: 400, field: /body/ },
  { name: 'a body that is a JSON number', body: '42', status: 400, field: /body/ },
  { name: 'an empty JSON body', body: '', status: 400, field: /[Bb]ody/ },
  { name: 'deeply nested JSON', body: `{"customer":${'['.repeat(20_000)}${']'.repeat(20_000)}}`, status: 400, field: /customer/ },
  { name: 'deeply nested JSON under __proto__', body: `{"__proto__":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`, status: 400, field: /[Bb]ody|proto/i },
  { name: 'a form body', body: 'customer=ada', contentType: 'application/x-www-form-urlencoded', status: 415, field: /Media Type/ },
];

describe('h. bad input to POST /api/orders', () => {
  let shop: ShopHarness;

  beforeAll(async () => {
    shop = await ShopHarness.create();
    await shop.startOrderService();
  });

  afterAll(async () => {
    await shop.dispose();
  });

  it.each(CASES)('$name → $status naming the field, nothing stored', async ({ body, key, contentType, status, field }) => {
    const response = await fetch(`${shop.orderUrl}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': contentType ?? 'application/json', ...(key === null ? {} : { 'idempotency-key': key ?? crypto.randomUUID() }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const payload: any = await response.json();
    expect(response.status).toBe(status);
    expect(JSON.stringify(payload.issues ?? payload.message)).toMatch(field);

    const { rows } = await shop.orders.query(`SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM outbox)::int AS outbox`);
    expect(rows[0]).toEqual({ orders: 0, outbox: 0 });
  });

  it('an unknown order id is 404 and a malformed one 400, naming the id', async () => {
    const missing = await fetch(`${shop.orderUrl}/api/orders/00000000-0000-4000-8000-000000000000`);
    expect(missing.status).toBe(404);
    const malformed = await fetch(`${shop.orderUrl}/api/orders/42`);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).issues).toEqual([{ field: 'id', message: 'must be an order id (uuid)' }]);
  });

  it('listing orders takes no query parameter: for a signed-in shopper, ?email= and any other is a 400 naming it', async () => {
    // A session through a link, read back from the outbox (where notification-service picks it up).
    await fetch(`${shop.orderUrl}/api/sessions/link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"ada@example.com"}' });
    const { rows } = await shop.orders.query(`SELECT payload->>'token' AS token FROM outbox WHERE routing_key = 'signin.requested'`);
    const signIn = await fetch(`${shop.orderUrl}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: rows[0].token }),
    });
    const cookie = signIn.headers.getSetCookie()[0].split(';')[0];
    expect((await fetch(`${shop.orderUrl}/api/orders`, { headers: { cookie } })).status).toBe(200);
    for (const [query, fields] of [
      ['?email=bea%40example.com', ['email']],
      ['?email=a%40b.co&email=c%40d.co', ['email']],
      ['?limit=1000', ['limit']],
      ['?email=%00&status=PENDING', ['email', 'status']],
    ] as const) {
      const response = await fetch(`${shop.orderUrl}/api/orders${query}`, { headers: { cookie } });
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).issues.map((issue: { field: string }) => issue.field)).toEqual(fields);
    }
  });
});

const deeplyNested = `{"quantity":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;

/** Each case: a request to one of the other endpoints, the status expected and the field the error must name. */
const ENDPOINT_CASES: {
  name: string;
  service: 'order' | 'inventory';
  method?: string;
  path: string;
  body?: string;
  contentType?: string;
  status: number;
  field: RegExp;
}[] = [
  { name: 'an order id that is not a uuid', service: 'order', path: '/api/orders/42', status: 400, field: /^id$/ },
  { name: 'an order id that is NUL', service: 'order', path: '/api/orders/%00', status: 400, field: /^id$/ },
  { name: 'a uuid with a NUL after it', service: 'order', path: '/api/orders/00000000-0000-4000-8000-000000000000%00', status: 400, field: /^id$/ },
  // A path parameter over Fastify's maxParamLength (100) is refused before routing.
  { name: 'an order id of 150 characters', service: 'order', path: `/api/orders/${'a'.repeat(150)}`, status: 414, field: /max param length/ },
  { name: 'an event stream for an id that is not a uuid', service: 'order', path: '/api/orders/nope/events', status: 400, field: /^id$/ },
  // Whose orders comes from the session, never from the request: without one the listing is 401 whatever the query.
  { name: 'orders listed by an email, without a session', service: 'order', path: '/api/orders?email=ada%40example.com', status: 401, field: /sign in first/ },
  {
    name: 'a sign-in link for an invalid email',
    service: 'order',
    method: 'POST',
    path: '/api/sessions/link',
    body: '{"email":"nope"}',
    status: 400,
    field: /^email$/,
  },
  { name: 'a sign-in link without an email', service: 'order', method: 'POST', path: '/api/sessions/link', body: '{}', status: 400, field: /^email$/ },
  {
    name: 'a sign-in link for an email with a NUL',
    service: 'order',
    method: 'POST',
    path: '/api/sessions/link',
    body: '{"email":"ada\\u0000@example.com"}',
    status: 400,
    field: /^email$/,
  },
  {
    name: 'a sign-in link for an email of 300 characters',
    service: 'order',
    method: 'POST',
    path: '/api/sessions/link',
    body: JSON.stringify({ email: `${'a'.repeat(288)}@example.com` }),
    status: 400,
    field: /^email$/,
  },
  {
    name: 'a sign-in link body with an extra field',
    service: 'order',
    method: 'POST',
    path: '/api/sessions/link',
    body: '{"email":"ada@example.com","orders":true}',
    status: 400,
    field: /^orders$/,
  },
  {
    name: 'a sign-in link body that is an array',
    service: 'order',
    method: 'POST',
    path: '/api/sessions/link',
    body: '["ada@example.com"]',
    status: 400,
    field: /^body$/,
  },
  {
    name: 'a sign-in link as a form',
    service: 'order',
    method: 'POST',
    path: '/api/sessions/link',
    body: 'email=ada%40example.com',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    field: /Media Type/,
  },
  { name: 'a sign-in without a token', service: 'order', method: 'POST', path: '/api/sessions', body: '{}', status: 400, field: /^token$/ },
  { name: 'a sign-in token that is a number', service: 'order', method: 'POST', path: '/api/sessions', body: '{"token":42}', status: 400, field: /^token$/ },
  { name: 'a sign-in token that is empty', service: 'order', method: 'POST', path: '/api/sessions', body: '{"token":""}', status: 400, field: /^token$/ },
  {
    name: 'a sign-in token of 401 characters',
    service: 'order',
    method: 'POST',
    path: '/api/sessions',
    body: JSON.stringify({ token: 'v'.repeat(401) }),
    status: 400,
    field: /^token$/,
  },
  {
    name: 'a sign-in body with an extra field',
    service: 'order',
    method: 'POST',
    path: '/api/sessions',
    body: '{"token":"v1.x","email":"a@b.co"}',
    status: 400,
    field: /^email$/,
  },
  { name: 'a product search of 101 characters', service: 'order', path: `/api/products?q=${'m'.repeat(101)}`, status: 400, field: /^q$/ },
  { name: 'a product search with a NUL', service: 'order', path: '/api/products?q=mug%00', status: 400, field: /^q$/ },
  { name: 'a product search given twice', service: 'order', path: '/api/products?q=mug&q=tee', status: 400, field: /^q$/ },
  { name: 'a product search that is not valid percent-encoded UTF-8', service: 'order', path: '/api/products?q=stoneware%20mug%FF', status: 400, field: /^q$/ },
  { name: 'a stock sku that is not valid percent-encoded UTF-8', service: 'inventory', path: '/api/stock/MUG%FF', status: 400, field: /^path$/ },
  // An endpoint that takes no query at all still refuses an undecodable one, and names it.
  {
    name: 'a query string that is not valid percent-encoded UTF-8 on an endpoint that takes none',
    service: 'inventory',
    path: '/api/stock?page=%E2%28',
    status: 400,
    field: /^page$/,
  },
  {
    name: "the shopper's status with a query string that is not valid percent-encoded UTF-8",
    service: 'order',
    path: '/api/system/status?x=%FF',
    status: 400,
    field: /^x$/,
  },
  { name: 'an unknown product sort', service: 'order', path: '/api/products?sort=cheapest', status: 400, field: /^sort$/ },
  { name: 'sorting by relevance without a search', service: 'order', path: '/api/products?sort=relevance', status: 400, field: /^sort$/ },
  { name: 'an unknown parameter to the product list', service: 'order', path: '/api/products?page=2', status: 400, field: /^page$/ },
  { name: 'a lower-case product sku', service: 'order', path: '/api/products/mug-001', status: 400, field: /^sku$/ },
  { name: 'a product sku that is NUL', service: 'order', path: '/api/products/%00', status: 400, field: /^sku$/ },
  { name: 'a product sku of 150 characters', service: 'order', path: `/api/products/${'A'.repeat(150)}`, status: 414, field: /max param length/ },
  { name: 'a sku that is NUL', service: 'inventory', path: '/api/stock/%00', status: 400, field: /^sku$/ },
  { name: 'a lower-case sku', service: 'inventory', path: '/api/stock/mug-001', status: 400, field: /^sku$/ },
  { name: 'a sku of 150 characters', service: 'inventory', path: `/api/stock/${'A'.repeat(150)}`, status: 414, field: /max param length/ },
  {
    name: 'restocking a sku with a NUL',
    service: 'inventory',
    method: 'POST',
    path: '/api/stock/PEN-006%00/restock',
    body: '{"quantity":5}',
    status: 400,
    field: /^sku$/,
  },
  {
    name: 'a restock quantity as a string',
    service: 'inventory',
    method: 'POST',
    path: '/api/stock/PEN-006/restock',
    body: '{"quantity":"5"}',
    status: 400,
    field: /^quantity$/,
  },
  {
    name: 'a restock quantity of 1e400',
    service: 'inventory',
    method: 'POST',
    path: '/api/stock/PEN-006/restock',
    body: '{"quantity":1e400}',
    status: 400,
    field: /^quantity$/,
  },
  {
    name: 'a restock quantity of 2^31',
    service: 'inventory',
    method: 'POST',
    path: '/api/stock/PEN-006/restock',
    body: '{"quantity":2147483648}',
    status: 400,
    field: /^quantity$/,
  },
  {
    name: 'a fractional restock quantity',
    service: 'inventory',
    method: 'POST',
    path: '/api/stock/PEN-006/restock',
    body: '{"quantity":0.5}',
    status: 400,
    field: /^quantity$/,
  },
  {
    name: 'a restock body that is an array',
    service: 'inventory',
    method: 'POST',
    path: '/api/stock/PEN-006/restock',
    body: '[5]',
    status: 400,
    field: /^body$/,
  },
  { name: 'a restock body that is null', service: 'inventory', method: 'POST', path: '/api/stock/PEN-006/restock', body: 'null', status: 400, field: /^body$/ },
  {
    name: 'a restock body with an extra field',
    service: 'inventory',
    method: 'POST',
    path: '/api/stock/PEN-006/restock',
    body: '{"quantity":5,"sku":"MUG-001"}',
    status: 400,
    field: /^sku$/,
  },
  {
    name: 'a restock body nested 20,000 deep',
    service: 'inventory',
    method: 'POST',
    path: '/api/stock/PEN-006/restock',
    body: deeplyNested,
    status: 400,
    field: /^quantity$/,
  },
  { name: 'a restock with no body', service: 'inventory', method: 'POST', path: '/api/stock/PEN-006/restock', contentType: '', status: 400, field: /^body$/ },
  {
    name: 'a restock as a form',
    service: 'inventory',
    method: 'POST',
    path: '/api/stock/PEN-006/restock',
    body: 'quantity=5',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    field: /Media Type/,
  },
  {
    name: 'malformed JSON to restock',
    service: 'inventory',
    method: 'POST',
    path: '/api/stock/PEN-006/restock',
    body: '{"quantity":',
    status: 400,
    field: /JSON/,
  },
];

/** Sends bytes that fetch refuses to send (a NUL in a header) and returns the status code. */
async function rawStatus(url: string, request: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.end(request);
  let response = '';
  for await (const chunk of socket) response += String(chunk);
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
}

describe('h. bad input to every other endpoint of both services', () => {
  let shop: ShopHarness;
  const counts = async () => {
    const orders = await shop.orders.query(`SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM outbox)::int AS outbox`);
    const inventory = await shop.inventory.query(
      `SELECT (SELECT sum(available) FROM stock)::int AS units, (SELECT count(*) FROM reservations)::int AS reservations, (SELECT count(*) FROM outbox)::int AS outbox`,
    );
    return { ...orders.rows[0], ...inventory.rows[0] };
  };
  let before: Awaited<ReturnType<typeof counts>>;

  beforeAll(async () => {
    shop = await ShopHarness.create();
    await shop.startOrderService();
    await shop.startInventoryService();
    before = await counts();
  });

  afterAll(async () => {
    await shop.dispose();
  });

  it.each(ENDPOINT_CASES)('$name → $status naming the field, nothing changed', async ({ service, method, path, body, contentType, status, field }) => {
    const base = service === 'order' ? shop.orderUrl : shop.inventoryUrl;
    const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` };
    if (contentType !== '') headers['content-type'] = contentType ?? 'application/json';
    const response = await fetch(`${base}${path}`, { method: method ?? 'GET', headers, body });
    const payload: any = await response.json();
    expect(response.status).toBe(status);
    expect(payload.issues?.map((issue: { field: string }) => issue.field) ?? [payload.message]).toEqual([expect.stringMatching(field)]);
    expect(await counts()).toEqual(before);
  });

  it.each([
    [
      'an Idempotency-Key with a NUL',
      'order',
      'POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nIdempotency-Key: a\0b\r\nContent-Length: 2\r\n\r\n{}',
    ],
    [
      'an Authorization header with a NUL',
      'inventory',
      'POST /api/stock/PEN-006/restock HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\0b\r\nContent-Length: 2\r\n\r\n{}',
    ],
    ['a NUL in the request target', 'order', 'GET /api/orders/\0 HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a header of 20,000 characters', 'order', `GET /api/orders HTTP/1.1\r\nHost: x\r\nX-Padding: ${'x'.repeat(20_000)}\r\n\r\n`],
  ] as const)('%s is refused with a 4xx before any handler runs, nothing changed', async (_name, service, request) => {
    const status = await rawStatus(service === 'order' ? shop.orderUrl : shop.inventoryUrl, request);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(await counts()).toEqual(before);
  });
});

describe('h. an order.placed beyond the limits of an order is dead-lettered with its reason, stock unchanged', () => {
  let shop: ShopHarness;

  beforeAll(async () => {
    shop = await ShopHarness.create();
    await shop.startInventoryService();
  });

  afterAll(async () => {
    await shop.dispose();
  });

  it('100,000 lines, 51 lines, a quantity over 100 and 50 lines each wrong twice all land in inventory.order-placed.dlq; a valid order after them is reserved', async () => {
    // Enough stock that each oversize order would be reserved if it were processed.
    await shop.inventory.query(`UPDATE stock SET available = 1000000 WHERE sku = 'MUG-001'`);
    const channel = await shop.channel();
    const publish = (lines: unknown[]) => {
      const orderId = crypto.randomUUID();
      const event = { schemaVersion: 1, orderId, lines, placedAt: new Date().toISOString() };
      channel.publish(EXCHANGES.orders, ROUTING_KEYS.orderPlaced, Buffer.from(JSON.stringify(event)), {
        messageId: crypto.randomUUID(),
        type: ROUTING_KEYS.orderPlaced,
        persistent: true,
        contentType: 'application/json',
      });
      return orderId;
    };
    const mugs = (count: number, quantity = 1) => Array.from({ length: count }, () => ({ sku: 'MUG-001', quantity }));
    const poisoned = [
      publish(mugs(100_000)),
      publish(mugs(ORDER_LIMITS.maxLines + 1)),
      publish(mugs(1, ORDER_LIMITS.maxQuantityPerLine + 1)),
      publish(Array.from({ length: ORDER_LIMITS.maxLines }, () => ({ sku: 'mug 1', quantity: 0 }))),
    ];
    const validOrderId = publish(mugs(1));

    // Each one dead-lettered in inventory.order-placed.dlq, which inventory-service takes into its database.
    const letters = await waitFor(
      async () => {
        const kept = await shop.deadLetters('inventory');
        return kept.length === 4 && kept;
      },
      { what: 'four dead letters' },
    );
    expect(letters.every((letter) => letter.queue === QUEUES.inventoryOrderPlaced && letter.errorClass === 'UndecodableMessage')).toBe(true);
    const reasons = poisoned.map((orderId) => letters.find((letter) => letter.orderId === orderId)?.reason ?? 'none');
    expect(reasons).toEqual([
      expect.stringMatching(/^schema validation failed for "order.placed": lines: .*50/),
      expect.stringMatching(/^schema validation failed for "order.placed": lines: .*50/),
      expect.stringMatching(/^schema validation failed for "order.placed": lines\.0\.quantity: .*100/),
      // 100 issues: a few are named, the rest counted, so the reason fits in a header.
      expect.stringMatching(/^schema validation failed for "order.placed": lines\.0\.sku: .*and 95 more$/),
    ]);
    expect(reasons[3].length).toBeLessThanOrEqual(1000);

    await waitFor(async () => (await shop.inventory.query(`SELECT 1 FROM reservations WHERE order_id = $1`, [validOrderId])).rowCount === 1, {
      what: 'the valid order reserved',
    });
    expect(await shop.available('MUG-001')).toBe(1_000_000 - 1);
    const { rows } = await shop.inventory.query(`SELECT (SELECT count(*) FROM reservations)::int AS reservations, (SELECT count(*) FROM inbox)::int AS inbox`);
    expect(rows[0]).toEqual({ reservations: 1, inbox: 1 });
    await channel.close();
  });
});
