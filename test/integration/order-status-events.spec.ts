import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OrderStatusEvent } from '@shop/contracts';
import { createDatabase, createVhost, TcpProxy, waitFor } from '@shop/testing';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { Pool } from 'pg';
import { createOrderService } from '../../apps/order-service/src/app';
import { OrderStatusStream } from '../../apps/order-service/src/orders/order-status.stream';
import { loadOrderServiceConfig } from '../../apps/order-service/src/config';
import { anOrder } from './harness';

/**
 * The live status stream (GET /api/orders/:id/events) on a real order-service and PostgreSQL: what
 * it sends, when it ends, its caps, the server's timeouts, and a change made while its LISTEN
 * connection was down. Orders are changed from SQL as the saga's consumers do (UPDATE and NOTIFY of
 * the row in one transaction), so no inventory, payment or broker traffic is involved.
 */
describe('order status events', () => {
  let ordersDb: Awaited<ReturnType<typeof createDatabase>>;
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let orders: Pool;
  let app: NestFastifyApplication | null = null;
  let baseUrl = '';
  const streams: OrderStream[] = [];

  beforeAll(async () => {
    [ordersDb, vhost] = await Promise.all([createDatabase('orders_sse'), createVhost('shop-sse')]);
    orders = new Pool({ connectionString: ordersDb.url, max: 4 });
  });

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await app?.close();
    app = null;
  });

  afterAll(async () => {
    await orders.end();
    await Promise.all([ordersDb.drop(), vhost.remove()]);
  });

  async function startOrderService(env: NodeJS.ProcessEnv = {}, databaseUrl = ordersDb.url): Promise<void> {
    const config = loadOrderServiceConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: databaseUrl,
      RABBITMQ_URL: vhost.url,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
      ...env,
    });
    app = await createOrderService(config);
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  }

  async function placeOrder(): Promise<string> {
    const response = await fetch(`${baseUrl}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify(anOrder([{ sku: 'MUG-001', quantity: 1 }])),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  }

  /** What the saga's consumers commit for a change: the order's new state and its notification (the row as a stream reads it). */
  async function change(orderId: string, status: string, payment: string | null = null, stockReleased = false): Promise<void> {
    await orders.query(
      `WITH updated AS (
         UPDATE orders SET status = $2, payment_status = $3, stock_released = $4, updated_at = now() WHERE id = $1
         RETURNING id, status, status_reason, payment_status, payment_reason, stock_released, updated_at
       )
       SELECT pg_notify('order_status', json_build_object('id', id, 'status', status, 'statusReason', status_reason, 'paymentStatus', payment_status,
         'paymentReason', payment_reason, 'stockReleased', stock_released, 'updatedAt', updated_at)::text) FROM updated`,
      [orderId, status, payment, stockReleased],
    );
  }

  /** A final change after which nothing more happens to the order: rejected for its stock, which inventory gave back. */
  const settle = (orderId: string) => change(orderId, 'REJECTED', null, true);

  async function openStream(orderId: string, forwardedFor?: string): Promise<OrderStream> {
    const stream = await OrderStream.open(`${baseUrl}/api/orders/${orderId}/events`, forwardedFor ? { 'x-forwarded-for': forwardedFor } : {});
    streams.push(stream);
    return stream;
  }

  it('sends the current status, then each change, stays open while the order may be cancelled or undone, and ends once it is settled', async () => {
    await startOrderService();
    const id = await placeOrder();
    const stream = await openStream(id);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.headers['cache-control']).toMatch(/no-store/);
    await waitFor(() => stream.statuses().includes('PENDING'), { what: 'PENDING on the stream' });

    await change(id, 'RESERVED');
    await change(id, 'CONFIRMED', 'authorized');
    await change(id, 'CANCELLED', 'authorized');
    await change(id, 'CANCELLED', 'authorized', true);
    await waitFor(() => stream.events().length === 5, { what: 'five states on the stream' });
    expect(stream.ended).toBe(false);
    await change(id, 'CANCELLED', 'voided', true);

    await waitFor(() => stream.ended, { what: 'the server to end the stream once the payment is voided and the stock given back' });
    expect(stream.events().map((event) => [event.status, event.payment?.status ?? null, event.stockReleased, event.cancellable])).toEqual([
      ['PENDING', null, false, true],
      ['RESERVED', null, false, true],
      ['CONFIRMED', 'authorized', false, true],
      ['CANCELLED', 'authorized', false, false],
      ['CANCELLED', 'authorized', true, false],
      ['CANCELLED', 'voided', true, false],
    ]);
  });

  it('sends the status of an order that is already settled and ends the stream at once', async () => {
    await startOrderService();
    const id = await placeOrder();
    await settle(id);

    const stream = await openStream(id);

    await waitFor(() => stream.ended, { what: 'the server to end the stream of a settled order' });
    expect(stream.status).toBe(200);
    expect(stream.statuses()).toEqual(['REJECTED']);
  });

  it('follows an order no more once its client closed the stream, and ends the open ones when the service shuts down', async () => {
    await startOrderService();
    const [left, staying] = [await placeOrder(), await placeOrder()];
    const [leaving, open] = [await openStream(left), await openStream(staying)];
    await waitFor(() => leaving.statuses().length === 1 && open.statuses().length === 1, { what: 'the current status on both streams' });
    const following = app!.get(OrderStatusStream);
    expect(following.followedOrders).toBe(2);

    // The browser goes away: nothing of its stream stays behind (no follower, so no heartbeat timer either).
    leaving.close();
    await waitFor(() => following.followedOrders === 1, { what: 'the closed stream to stop following its order' });

    await app!.close();
    app = null;
    await waitFor(() => open.ended, { what: 'the open stream to end with the service' });
    expect(open.statuses()).toEqual(['PENDING']);
  });

  it('answers 400 for a malformed order id and 404 for an unknown order, as JSON, before any stream opens', async () => {
    await startOrderService();
    const malformed = await openStream('not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body)).toMatchObject({ statusCode: 400, issues: [{ field: 'id' }] });
    const unknown = await openStream(crypto.randomUUID());
    expect(unknown.status).toBe(404);
    expect(unknown.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(unknown.body)).toMatchObject({ statusCode: 404 });
  });

  it('pushes a change committed while its LISTEN connection was down, once the listener is back', async () => {
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(ordersDb.url).port || 5432));
    const url = new URL(ordersDb.url);
    url.port = String(await proxy.start());
    try {
      await startOrderService({}, url.toString());
      const id = await placeOrder();
      const stream = await openStream(id);
      await waitFor(() => stream.statuses().includes('PENDING'), { what: 'PENDING on the stream' });
      await waitFor(async () => (await listeningBackends()) === 1, { what: 'the service to LISTEN' });

      // The service loses every database connection, its LISTEN one included, and cannot reconnect until restored.
      proxy.cut();
      await waitFor(async () => (await listeningBackends()) === 0, { what: 'the LISTEN backend to be gone' });
      await settle(id); // its notification reaches nobody
      proxy.restore();

      await waitFor(() => stream.ended, { what: 'REJECTED on the open stream after the listener reconnected' });
      expect(stream.statuses()).toEqual(['PENDING', 'REJECTED']);
    } finally {
      await proxy.stop();
    }
  });

  async function listeningBackends(): Promise<number> {
    const { rows } = await orders.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN "order_status"'`,
    );
    return rows[0].n;
  }

  it('caps open streams per client (429) and in total (503 with Retry-After), naming the limit, and frees a place when a stream ends', async () => {
    // The test stands where the storefront's proxy would, on loopback, named as trusted: X-Forwarded-For names the client.
    await startOrderService({ SSE_MAX_STREAMS_PER_CLIENT: '2', SSE_MAX_STREAMS: '3', HTTP_TRUSTED_PROXIES: 'loopback' });
    const id = await placeOrder();
    const first = await openStream(id, '203.0.113.1');
    await openStream(id, '203.0.113.1');
    expect(first.status).toBe(200);

    const overClientCap = await openStream(id, '203.0.113.1');
    expect(overClientCap.status).toBe(429);
    expect(JSON.parse(overClientCap.body)).toMatchObject({ statusCode: 429, limit: 'SSE_MAX_STREAMS_PER_CLIENT' });

    expect((await openStream(id, '203.0.113.2')).status).toBe(200);
    const overTotalCap = await openStream(id, '203.0.113.3');
    expect(overTotalCap.status).toBe(503);
    expect(overTotalCap.headers['retry-after']).toMatch(/^\d+$/);
    expect(JSON.parse(overTotalCap.body)).toMatchObject({ statusCode: 503, limit: 'SSE_MAX_STREAMS' });

    // A client that goes away gives its place back.
    first.close();
    await waitFor(async () => (await openStream(id, '203.0.113.1')).status === 200, { what: 'a place freed by a closed stream' });

    // Every stream ends once its order is settled, so all places are free again.
    await settle(id);
    await waitFor(() => streams.filter((stream) => stream.status === 200 && !stream.closedByClient).every((stream) => stream.ended), {
      what: 'every open stream to end',
    });
    const next = await placeOrder();
    const admitted = await Promise.all([openStream(next, '203.0.113.1'), openStream(next, '203.0.113.1'), openStream(next, '203.0.113.9')]);
    expect(admitted.map((stream) => stream.status)).toEqual([200, 200, 200]);
  });

  describe('server timeouts', () => {
    // The idle timeout stays long where a test waits for the request timeout's 408 (an idle cut closes without one).
    const env = { HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_IDLE_TIMEOUT_MS: '60000' };

    // Bounds of 20 s: the server must act within about 2 s (timeout plus a 1 s check); Node's defaults wait 60 s or forever.
    it('answers 408 and closes a connection that sends half its headers and stops', async () => {
      await startOrderService(env);
      const closed = await rawExchange(baseUrl, 'GET /api/catalog HTTP/1.1\r\nHost: shop\r\nAccept: application/');
      expect(closed).toMatch(/^HTTP\/1\.1 408/);
    });

    it('answers 408 and closes a connection that sends its headers and part of its body and stops', async () => {
      await startOrderService(env);
      const closed = await rawExchange(
        baseUrl,
        `POST /api/orders HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nIdempotency-Key: ${crypto.randomUUID()}\r\nContent-Length: 200\r\n\r\n{"customer":`,
      );
      expect(closed).toMatch(/^HTTP\/1\.1 408/);
    });

    it('keeps an event stream open past the request and idle timeouts', async () => {
      await startOrderService({ ...env, HTTP_IDLE_TIMEOUT_MS: '1000', SSE_HEARTBEAT_MS: '1500' });
      const id = await placeOrder();
      const stream = await openStream(id);
      // Two heartbeats 1.5 s apart: the stream outlived both 1 s timeouts and their check.
      await waitFor(() => stream.heartbeats >= 2, { what: 'two heartbeats' });
      expect(stream.ended).toBe(false);
      await settle(id);
      await waitFor(() => stream.ended, { what: 'the stream to end once the order is settled' });
      expect(stream.statuses()).toEqual(['PENDING', 'REJECTED']);
    });
  });
});

/** Sends `bytes` and waits for the server to close the connection; returns what it answered. */
function rawExchange(baseUrl: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(Number(port), hostname, () => socket.write(bytes));
    let received = '';
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server still held the connection after 20 s (received: ${JSON.stringify(received)})`));
    }, 20_000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve(received);
    });
  });
}

/** One GET of an event stream on its own connection, parsed as it arrives. */
class OrderStream {
  status = 0;
  headers: IncomingHttpHeaders = {};
  body = '';
  /** The server ended the response. */
  ended = false;
  closedByClient = false;
  heartbeats = 0;
  private readonly received: { type: string; data: string }[] = [];
  private destroy: () => void = () => undefined;

  static open(url: string, headers: Record<string, string>): Promise<OrderStream> {
    const stream = new OrderStream();
    return new Promise((resolve, reject) => {
      const request = httpRequest(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } }, (response) => {
        stream.status = response.statusCode ?? 0;
        stream.headers = response.headers;
        stream.destroy = () => response.destroy();
        response.setEncoding('utf8');
        let pending = '';
        response.on('data', (chunk: string) => {
          stream.body += chunk;
          pending += chunk;
          let end: number;
          while ((end = pending.indexOf('\n\n')) >= 0) {
            stream.parse(pending.slice(0, end));
            pending = pending.slice(end + 2);
          }
        });
        response.on('end', () => (stream.ended = true));
        response.on('error', () => undefined);
        resolve(stream);
      });
      request.on('error', reject);
      request.end();
    });
  }

  /** The order's states the stream sent (heartbeats left out). */
  events(): OrderStatusEvent[] {
    return this.received.filter((event) => event.type === 'message').map((event) => JSON.parse(event.data) as OrderStatusEvent);
  }

  statuses(): string[] {
    return this.events().map((event) => event.status);
  }

  close(): void {
    this.closedByClient = true;
    this.destroy();
  }

  private parse(block: string): void {
    let type = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) type = line.slice('event: '.length);
      else if (line.startsWith('data: ')) data.push(line.slice('data: '.length));
    }
    if (data.length === 0) return;
    if (type === 'heartbeat') this.heartbeats++;
    else this.received.push({ type, data: data.join('\n') });
  }
}
