import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { isPublisherConfirm, TcpProxy } from './tcp-proxy';
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

/** An AMQP 0-9-1 frame: type, channel, size, payload, 0xCE; a method frame's payload starts with its class and method ids. */
function frame(type: number, channel: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([0xce])]);
}

function method(channel: number, classId: number, methodId: number, args = 'args'): Buffer {
  const ids = Buffer.alloc(4);
  ids.writeUInt16BE(classId, 0);
  ids.writeUInt16BE(methodId, 2);
  return frame(1, channel, Buffer.concat([ids, Buffer.from(args)]));
}

describe("TcpProxy with { protocol: 'amqp' }", () => {
  it('drops the broker frames it is told to, however the bytes are split, and forwards the rest in order', async () => {
    const frames = [
      method(1, 60, 80, 'confirm-1'), // basic.ack
      frame(8, 0, Buffer.alloc(0)), // heartbeat
      method(1, 60, 60, 'deliver'), // basic.deliver
      frame(2, 1, Buffer.from('content header')),
      frame(3, 1, Buffer.from('body')),
      method(1, 60, 120, 'nack-2'), // basic.nack
      method(2, 50, 11, 'declare-ok'), // queue.declare-ok
    ];
    const sides: Socket[] = [];
    const server = createServer((socket) => sides.push(socket.on('error', () => undefined)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpProxy('127.0.0.1', (server.address() as AddressInfo).port, { protocol: 'amqp' });
    const port = await proxy.start();
    try {
      proxy.dropServerFrames(isPublisherConfirm);
      const socket = connect(port, '127.0.0.1').on('error', () => undefined);
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      await waitFor(() => sides.length === 1, { what: 'the server side' });
      // Three bytes at a time: frames arrive cut across chunks, as TCP may deliver them.
      const bytes = Buffer.concat(frames);
      for (let at = 0; at < bytes.length; at += 3) {
        sides[0].write(bytes.subarray(at, at + 3));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const expected = Buffer.concat([frames[1], frames[2], frames[3], frames[4], frames[6]]);
      await waitFor(() => Buffer.concat(received).length >= expected.length, { what: 'every frame not dropped' });
      expect(Buffer.concat(received).equals(expected)).toBe(true);

      // Told to drop nothing, it forwards confirms again.
      proxy.dropServerFrames(null);
      sides[0].write(frames[0]);
      await waitFor(() => Buffer.concat(received).length === expected.length + frames[0].length, { what: 'the confirm forwarded' });
      socket.destroy();
    } finally {
      await proxy.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses to pick frames on a proxy that does not speak AMQP', () => {
    expect(() => new TcpProxy('127.0.0.1', 1).dropServerFrames(isPublisherConfirm)).toThrow(/protocol: 'amqp'/);
  });
});
