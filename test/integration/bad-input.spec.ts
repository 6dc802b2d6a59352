import { anOrder, ShopHarness } from './harness';

const line = (quantity: unknown, sku: unknown = 'MUG-001') => ({ customer: { name: 'Ada', email: 'ada@example.com' }, lines: [{ sku, quantity }] });

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
  { name: 'missing email', body: { customer: { name: 'Ada' }, lines: [{ sku: 'MUG-001', quantity: 1 }] }, status: 400, field: /customer\.email/ },
  { name: 'invalid email', body: anOrder([{ sku: 'MUG-001', quantity: 1 }], 'not-an-email'), status: 400, field: /customer\.email/ },
  { name: 'empty name', body: { customer: { name: '  ', email: 'a@b.co' }, lines: [{ sku: 'MUG-001', quantity: 1 }] }, status: 400, field: /customer\.name/ },
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

  it('listing orders needs a valid email', async () => {
    const response = await fetch(`${shop.orderUrl}/api/orders?email=nope`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).issues[0].field).toBe('email');
  });
});
