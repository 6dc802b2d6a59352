import { EXCHANGES, ROUTING_KEYS } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import { randomUUID } from 'node:crypto';
import { anOrder, ShopHarness } from './harness';

/**
 * POST /api/orders/:id/cancel on the running order service (inventory is not running, so an order
 * stays PENDING until the test answers for inventory): who may cancel, what a cancel writes, and
 * what bad input gets.
 */
describe('a shopper cancels an order', () => {
  let shop: ShopHarness;

  beforeAll(async () => {
    shop = await ShopHarness.create();
    await shop.startOrderService();
  });

  afterAll(async () => {
    await shop?.dispose();
  });

  const placed = async (email = 'ada@example.com') => {
    const response = await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }], email));
    expect(response.status).toBe(201);
    return response.body as { id: string; cancelToken: string; status: string };
  };

  async function cancel(id: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: any }> {
    const response = await fetch(`${shop.orderUrl}/api/orders/${id}/cancel`, {
      method: 'POST',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body,
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  }

  const cancelledRows = async (id: string) =>
    (await shop.orders.query(`SELECT payload FROM outbox WHERE routing_key = 'order.cancelled' AND payload->>'orderId' = $1`, [id])).rows;

  /** A shopper session for `email`, through a sign-in link read back from the outbox (where notification-service would pick it up). */
  async function sessionCookie(email: string): Promise<string> {
    await fetch(`${shop.orderUrl}/api/sessions/link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
    const { rows } = await shop.orders.query(
      `SELECT payload->>'token' AS token FROM outbox WHERE routing_key = 'signin.requested' AND payload->>'email' = $1 ORDER BY created_at DESC LIMIT 1`,
      [email],
    );
    const signIn = await fetch(`${shop.orderUrl}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: rows[0].token }),
    });
    return signIn.headers.getSetCookie()[0].split(';')[0];
  }

  it('the 201 and its replay carry the cancelToken; GET never does', async () => {
    const key = randomUUID();
    const body = anOrder([{ sku: 'MUG-001', quantity: 1 }], 'replay@example.com');
    const first = await shop.placeOrder(body, key);
    const replay = await shop.placeOrder(body, key);
    expect(first.body.cancelToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(replay.body.cancelToken).toBe(first.body.cancelToken);
    const read = await (await fetch(`${shop.orderUrl}/api/orders/${first.body.id}`)).json();
    expect(read).not.toHaveProperty('cancelToken');
    expect(read).toMatchObject({ status: 'PENDING', payment: null, stockReleased: false, cancellable: true });
  });

  it('with the cancel-token header: 200 with the CANCELLED order, one order.cancelled however often asked, counted by the status it left', async () => {
    const order = await placed();
    const metricsBefore = await cancelledFrom('PENDING');

    const first = await cancel(order.id, { 'cancel-token': order.cancelToken }, JSON.stringify({ reason: 'ordered twice' }));
    const again = await cancel(order.id, { 'cancel-token': order.cancelToken });

    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: order.id, status: 'CANCELLED', statusReason: 'cancelled by the shopper: ordered twice', cancellable: false });
    expect(first.body).not.toHaveProperty('cancelToken');
    expect(again).toMatchObject({ status: 200, body: { status: 'CANCELLED' } });
    expect(await shop.orderStatus(order.id)).toBe('CANCELLED');
    const rows = await cancelledRows(order.id);
    expect(rows).toHaveLength(1);
    expect(rows[0].payload).toMatchObject({ orderId: order.id, previousStatus: 'PENDING', paymentHeld: false });
    expect(await cancelledFrom('PENDING')).toBe(metricsBefore + 1);
  });

  it('with the session of the shopper who placed it: 200; with another shopper session: 403', async () => {
    const order = await placed('owner@example.com');
    const other = await placed('owner@example.com');
    const stranger = await sessionCookie('stranger@example.com');
    const owner = await sessionCookie('owner@example.com');

    expect(await cancel(order.id, { cookie: stranger })).toMatchObject({ status: 403, body: { message: expect.stringMatching(/cancel-token/) } });
    expect(await shop.orderStatus(order.id)).toBe('PENDING');
    expect(await cancel(order.id, { cookie: owner })).toMatchObject({ status: 200, body: { status: 'CANCELLED' } });
    // Another order's token with the owner's session: the session is enough.
    expect(await cancel(other.id, { cookie: owner, 'cancel-token': order.cancelToken })).toMatchObject({ status: 200 });
  });

  it('a REJECTED order: 409 naming its status, nothing written', async () => {
    const order = await placed();
    const channel = await shop.channel();
    channel.publish(
      EXCHANGES.inventory,
      ROUTING_KEYS.stockRejected,
      Buffer.from(
        JSON.stringify({ schemaVersion: 1, orderId: order.id, sku: 'MUG-001', reason: 'MUG-001 is out of stock', rejectedAt: new Date().toISOString() }),
      ),
      { messageId: randomUUID(), type: ROUTING_KEYS.stockRejected, persistent: true, contentType: 'application/json' },
    );
    await waitFor(async () => (await shop.orderStatus(order.id)) === 'REJECTED', { what: 'the order REJECTED' });
    await channel.close();

    const refused = await cancel(order.id, { 'cancel-token': order.cancelToken });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/is REJECTED/);
    expect(await cancelledRows(order.id)).toHaveLength(0);
  });

  it.each<{ name: string; id?: string; headers?: Record<string, string>; body?: string; status: number; field: RegExp }>([
    { name: 'no token and no session', status: 401, field: /cancel-token/ },
    { name: 'a session cookie that opens no session', headers: { cookie: `shop_session=${'x'.repeat(43)}` }, status: 401, field: /cancel-token/ },
    { name: 'the token of another order', headers: { 'cancel-token': 'OTHER' }, status: 403, field: /belongs to order/ },
    { name: 'a token that is too short', headers: { 'cancel-token': 'short' }, status: 400, field: /cancel-token/ },
    { name: 'a token with characters base64url has not', headers: { 'cancel-token': `${'a'.repeat(40)}+/=` }, status: 400, field: /cancel-token/ },
    { name: 'an order id that is not a uuid', id: 'not-an-order', headers: { 'cancel-token': 'OWN' }, status: 400, field: /^id$/ },
    {
      name: 'an order that does not exist',
      id: '00000000-0000-4000-8000-000000000000',
      headers: { 'cancel-token': 'OWN' },
      status: 404,
      field: /does not exist/,
    },
    { name: 'a reason that is a number', headers: { 'cancel-token': 'OWN' }, body: '{"reason":42}', status: 400, field: /reason/ },
    { name: 'a field the endpoint does not know', headers: { 'cancel-token': 'OWN' }, body: '{"refund":"twice"}', status: 400, field: /refund/ },
    { name: 'malformed JSON', headers: { 'cancel-token': 'OWN' }, body: '{"reason":', status: 400, field: /JSON/ },
  ])('$name: $status naming it, the order unchanged', async ({ id, headers = {}, body, status, field }) => {
    const order = await placed();
    const other = await placed();
    const resolved = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name, value === 'OWN' ? order.cancelToken : value === 'OTHER' ? other.cancelToken : value]),
    );

    const answer = await cancel(id ?? order.id, resolved, body);

    expect(answer.status).toBe(status);
    const named = answer.body.issues ? answer.body.issues.map((issue: { field: string }) => issue.field) : [answer.body.message];
    expect(named.some((text: string) => field.test(text))).toBe(true);
    expect(await shop.orderStatus(order.id)).toBe('PENDING');
    expect(await cancelledRows(order.id)).toHaveLength(0);
  });

  it('the order stream pushes the cancel, the stock not yet given back', async () => {
    const order = await placed();
    const abort = new AbortController();
    const stream = await fetch(`${shop.orderUrl}/api/orders/${order.id}/events`, { signal: abort.signal });
    const reader = stream.body!.getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += Buffer.from(chunk.value).toString();
      }
      return text;
    };
    await readUntil(/"status":"PENDING"/);
    await cancel(order.id, { 'cancel-token': order.cancelToken });
    expect(await readUntil(/"status":"CANCELLED"/)).toMatch(/"status":"CANCELLED"[^}]*"stockReleased":false[^}]*"cancellable":false/);
    abort.abort();
  });

  async function cancelledFrom(from: string): Promise<number> {
    const text = await (await fetch(`${shop.metricsUrl('order')}/metrics`)).text();
    return Number(text.match(new RegExp(`^orders_cancelled_total\\{from="${from}"\\} (\\d+)$`, 'm'))?.[1] ?? 0);
  }
});
