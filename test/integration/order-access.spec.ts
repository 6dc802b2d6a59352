import { anOrder, ShopHarness } from './harness';

/**
 * The access rule for one order (design 1.1, Rule A): whoever holds its id may read it, and without
 * the id nothing tells an order that exists from one that does not.
 */
describe('an order is read by its id, and only by its id', () => {
  let shop: ShopHarness;
  let notificationUrl: string;

  beforeAll(async () => {
    shop = await ShopHarness.create();
    ({ url: notificationUrl } = await shop.startNotificationService());
    await shop.startOrderService();
  });

  afterAll(async () => {
    await shop?.dispose();
  });

  /** The status, content type and body of a response (a stream is cut once its first event arrived, however its bytes were split). */
  async function answerOf(url: string): Promise<{ status: number; type: string | null; body: string }> {
    const abort = new AbortController();
    const response = await fetch(url, { signal: abort.signal });
    const reader = response.body!.getReader();
    let body = '';
    const isStream = response.headers.get('content-type')?.startsWith('text/event-stream');
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      body += Buffer.from(chunk.value).toString();
      if (!isStream || /^data:.*\n\n/m.test(body)) break;
    }
    abort.abort();
    return { status: response.status, type: response.headers.get('content-type'), body };
  }

  it('whoever holds the id reads the order and its stream without a session, while the listing needs one', async () => {
    const placed = await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }], 'holder@example.com'));
    expect(placed.status).toBe(201);
    const id = placed.body.id as string;
    expect(placed.headers.get('location')).toBe(`/api/orders/${id}`);

    const order = await fetch(`${shop.orderUrl}/api/orders/${id}`);
    expect(order.status).toBe(200);
    expect(((await order.json()) as { id: string }).id).toBe(id);
    const stream = await answerOf(`${shop.orderUrl}/api/orders/${id}/events`);
    expect(stream.status).toBe(200);
    expect(stream.type).toMatch(/^text\/event-stream/);
    expect(stream.body).toContain(`"orderId":"${id}"`);
    expect((await fetch(`${shop.orderUrl}/api/orders`)).status).toBe(401);
  });

  it('an unknown order id gets the same 404 on GET and on the stream (before any event), and [] from notifications', async () => {
    const placed = await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }], 'neighbour@example.com'));
    // One hex digit off a real order's id: as unknown as any other.
    const real = placed.body.id as string;
    const unknown = real.slice(0, -1) + (real.endsWith('0') ? '1' : '0');

    const get = await answerOf(`${shop.orderUrl}/api/orders/${unknown}`);
    const stream = await answerOf(`${shop.orderUrl}/api/orders/${unknown}/events`);
    expect(get.status).toBe(404);
    expect(stream).toEqual(get);
    expect(stream.type).toMatch(/^application\/json/);

    const notified = await fetch(`${notificationUrl}/api/notifications/orders/${unknown}`);
    expect(notified.status).toBe(200);
    expect(await notified.json()).toEqual([]);
  });

  it('the 404 body carries nothing but the id it was given', async () => {
    const placed = await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }], 'private@example.com'));
    const real = placed.body.id as string;
    const unknown = crypto.randomUUID();
    const response = await fetch(`${shop.orderUrl}/api/orders/${unknown}`);
    expect(response.status).toBe(404);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ statusCode: 404, error: 'Not Found', message: `order ${unknown} does not exist` });
    expect(text).not.toContain(real);
    expect(text).not.toContain('private@example.com');
    expect(text.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)).toEqual([unknown]);
  });
});
