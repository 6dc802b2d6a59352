import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TcpProxy } from './tcp-proxy';
import { waitFor } from './wait';

/** What the server side of one proxied connection has seen. */
interface ServerSide {
  socket: Socket;
  received: string;
  ended: boolean;
  closed: boolean;
}

/** A server that records what each connection sends and answers "pong" to "ping". */
async function startServer(): Promise<{ server: Server; port: number; sides: ServerSide[] }> {
  const sides: ServerSide[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const side: ServerSide = { socket, received: '', ended: false, closed: false };
    sides.push(side);
    socket.on('data', (chunk) => {
      side.received += chunk.toString();
      if (chunk.toString() === 'ping') socket.write('pong');
    });
    socket.on('end', () => {
      side.ended = true;
      socket.end();
    });
    socket.on('close', () => (side.closed = true));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, sides };
}

/** A client socket through the proxy, recording what it receives. */
async function client(port: number): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  let closed = false;
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, received: () => received, closed: () => closed };
}

/**
 * Ping-pong round trips on a connection that forwards. The proxy and the server run in this
 * process, so after these every byte and close that was on its way has been handled too: what the
 * frozen connection has not received by then, the proxy is holding.
 */
async function roundTrips(port: number, count = 20): Promise<void> {
  const probe = await client(port);
  for (let i = 1; i <= count; i++) {
    probe.socket.write('ping');
    await waitFor(() => probe.received().length === 4 * i, { intervalMs: 1, what: `pong ${i}` });
  }
  probe.socket.destroy();
}

describe('TcpProxy', () => {
  let target: Awaited<ReturnType<typeof startServer>>;
  let proxy: TcpProxy;
  let port: number;

  beforeEach(async () => {
    target = await startServer();
    proxy = new TcpProxy('127.0.0.1', target.port);
    port = await proxy.start();
  });

  afterEach(async () => {
    await proxy.stop();
    await new Promise((resolve) => target.server.close(resolve));
  });

  it('forwards bytes both ways', async () => {
    const shopper = await client(port);
    shopper.socket.write('ping');
    await waitFor(() => shopper.received() === 'pong', { what: 'pong' });
    expect(target.sides[0].received).toBe('ping');
  });

  it('cut closes every connection and refuses new ones until restore', async () => {
    const shopper = await client(port);
    await waitFor(() => target.sides.length === 1, { what: 'the server side' });
    proxy.cut();
    await waitFor(() => shopper.closed() && target.sides[0].closed, { what: 'both sides closed' });
    const refused = await client(port);
    await waitFor(() => refused.closed(), { what: 'a new connection closed at once' });
    proxy.restore();
    await roundTrips(port, 1);
  });

  it('freeze holds bytes and closes in both directions, without closing either side; thaw delivers them', async () => {
    const shopper = await client(port);
    shopper.socket.write('ping');
    await waitFor(() => shopper.received() === 'pong', { what: 'pong before the freeze' });
    const server = target.sides[0];

    proxy.freeze({ newConnections: 'forward' });
    shopper.socket.write('held-from-client');
    server.socket.write('held-from-server');
    shopper.socket.end(); // a FIN, as amqplib sends after a missed heartbeat
    await roundTrips(port);

    expect(server.received).toBe('ping');
    expect(shopper.received()).toBe('pong');
    expect(server.ended || server.closed).toBe(false);
    expect(shopper.closed()).toBe(false);

    proxy.thaw();
    await waitFor(() => server.received === 'pingheld-from-client' && server.ended, { what: 'the held bytes and FIN at the server' });
    await waitFor(() => shopper.received() === 'pongheld-from-server', { what: 'the held bytes at the client' });
  });

  it('holds a close (RST) from one side until the thaw', async () => {
    const shopper = await client(port);
    await waitFor(() => target.sides.length === 1, { what: 'the server side' });
    proxy.freeze();
    shopper.socket.destroy();
    await roundTrips(target.port); // straight to the server: the proxy holds new connections too

    expect(target.sides[0].closed).toBe(false);
    proxy.thaw();
    await waitFor(() => target.sides[0].closed, { what: 'the close delivered at the thaw' });
  });

  it('by default a connection opened during a freeze hangs (a partition) and goes through at the thaw', async () => {
    proxy.freeze();
    const late = await client(port);
    late.socket.write('ping');
    await waitFor(() => proxy.connectionCount === 1, { what: 'the proxy to accept it' });
    await roundTrips(target.port); // straight to the server
    expect(target.sides).toHaveLength(1); // the probe's own: the hung connection never reached the server
    expect(late.received()).toBe('');
    expect(late.closed()).toBe(false);

    proxy.thaw();
    await waitFor(() => late.received() === 'pong', { what: 'pong after the thaw' });
  });

  it("with newConnections: 'forward' a connection opened during a freeze goes through (a dead NAT entry)", async () => {
    const old = await client(port);
    await waitFor(() => target.sides.length === 1, { what: 'the server side' });
    proxy.freeze({ newConnections: 'forward' });
    old.socket.write('ping');
    const fresh = await client(port);
    fresh.socket.write('ping');
    await waitFor(() => fresh.received() === 'pong', { what: 'pong on the new connection' });
    expect(old.received()).toBe('');
  });
});
