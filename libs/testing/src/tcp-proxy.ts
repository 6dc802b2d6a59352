import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { PassThrough, Transform, type TransformCallback } from 'node:stream';

/**
 * What a freeze does to connections opened while it lasts: `hang` (a network partition) accepts
 * them and forwards nothing until the thaw; `forward` (a dead NAT entry, a stuck load balancer
 * flow) forwards them as usual, so only the connections that existed before are frozen.
 */
export type NewConnectionsWhileFrozen = 'hang' | 'forward';

/** One AMQP 0-9-1 frame the broker sent: its type (1 method, 2 header, 3 body, 8 heartbeat), channel, and for a method its class and method ids. */
export interface AmqpFrame {
  type: number;
  channel: number;
  classId?: number;
  methodId?: number;
}

/** Publisher confirms (basic.ack and basic.nack from the broker): what a broker that takes publishes but never confirms them withholds. */
export const isPublisherConfirm = (frame: AmqpFrame): boolean => frame.type === 1 && frame.classId === 60 && (frame.methodId === 80 || frame.methodId === 120);

/**
 * For `rewriteServerFrames`: a broker that nacks every publish (as on an internal error) instead of
 * confirming it. basic.ack (60.80: delivery tag, multiple) becomes basic.nack (60.120: delivery tag,
 * multiple, requeue): the same size, the multiple bit where it was, requeue off.
 */
export const nackInsteadOfAck = (frame: AmqpFrame, bytes: Buffer): Buffer => {
  if (frame.type !== 1 || frame.classId !== 60 || frame.methodId !== 80) return bytes;
  const nack = Buffer.from(bytes);
  nack.writeUInt16BE(120, 9);
  nack[19] &= 0b1;
  return nack;
};

/**
 * A TCP proxy on 127.0.0.1 that a test can cut or freeze.
 *
 * - `cut()` drops every connection and refuses new ones (a broker outage as the service sees it),
 *   `restore()` forwards again.
 * - `freeze()` stops forwarding in both directions without closing anything: no FIN, no RST, the
 *   sockets stay open and writes still succeed, as over a half-open link. Bytes are held, not
 *   dropped, and so is a close from either side: `thaw()` delivers them, as TCP would once a
 *   partition heals. Only a heartbeat or a timeout can tell the endpoints that something is wrong.
 * - `dropServerFrames(which)` (created with `{ protocol: 'amqp' }`) forwards everything except the broker's frames
 *   that `which` picks, on every connection: a broker that stays up, answers heartbeats and takes
 *   publishes but never confirms them, or never answers one request. `dropServerFrames(null)` stops it.
 * - `rewriteServerFrames(rewrite)` (`{ protocol: 'amqp' }` too) forwards each broker frame as
 *   `rewrite` returns it, e.g. `nackInsteadOfAck`: a broker that refuses every publish.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly connections = new Set<ProxiedConnection>();
  private open = true;
  private frozen: { newConnections: NewConnectionsWhileFrozen } | null = null;
  private dropped: ((frame: AmqpFrame) => boolean) | null = null;
  private rewritten: ((frame: AmqpFrame, bytes: Buffer) => Buffer) | null = null;
  /** Connections accepted since the start, closed ones included. */
  accepted = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    /** `amqp`: the target is an AMQP 0-9-1 broker, whose frames `dropServerFrames` can pick from. */
    private readonly options: { protocol?: 'amqp' } = {},
  ) {}

  async start(): Promise<number> {
    // Half-open allowed: a FIN is forwarded as a FIN (or held while frozen), never answered by the proxy itself.
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
      if (!this.open) return client.destroy();
      this.accepted++;
      const connection = new ProxiedConnection(
        client,
        this.targetHost,
        this.targetPort,
        () => this.connections.delete(connection),
        this.options.protocol === 'amqp'
          ? new AmqpFrameFilter((frame, bytes) => (this.dropped?.(frame) ? null : (this.rewritten?.(frame, bytes) ?? bytes)))
          : new PassThrough(),
      );
      this.connections.add(connection);
      if (this.frozen?.newConnections === 'hang') connection.freeze();
      else connection.forward();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server!.address() as AddressInfo).port;
  }

  /** Connections open through the proxy right now (frozen ones included). */
  get connectionCount(): number {
    return this.connections.size;
  }

  cut(): void {
    this.open = false;
    for (const connection of this.connections) connection.destroy();
  }

  restore(): void {
    this.open = true;
  }

  /** From now on, the broker's frames that `which` picks are dropped instead of forwarded; null forwards them all again. */
  dropServerFrames(which: ((frame: AmqpFrame) => boolean) | null): void {
    if (this.options.protocol !== 'amqp') throw new Error("dropServerFrames needs a proxy created with { protocol: 'amqp' }");
    this.dropped = which;
  }

  /** From now on, every frame of the broker is forwarded as `rewrite` returns it (a frame of the same size); null forwards them as they are. */
  rewriteServerFrames(rewrite: ((frame: AmqpFrame, bytes: Buffer) => Buffer) | null): void {
    if (this.options.protocol !== 'amqp') throw new Error("rewriteServerFrames needs a proxy created with { protocol: 'amqp' }");
    this.rewritten = rewrite;
  }

  /** Stops forwarding on every open connection, keeping them open; see `NewConnectionsWhileFrozen` for new ones (default `hang`). */
  freeze(options: { newConnections?: NewConnectionsWhileFrozen } = {}): void {
    this.frozen = { newConnections: options.newConnections ?? 'hang' };
    for (const connection of this.connections) connection.freeze();
  }

  /** Forwards again, delivering what was held (bytes, then any close) on every frozen connection. */
  thaw(): void {
    this.frozen = null;
    for (const connection of [...this.connections]) connection.thaw();
  }

  async stop(): Promise<void> {
    this.frozen = null;
    this.cut();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** One client connection and its upstream; the upstream is opened when forwarding first starts. */
class ProxiedConnection {
  private upstream: Socket | null = null;
  private frozen = false;
  /** One side closed or failed while frozen: the other side learns it at the thaw. */
  private closeHeld = false;
  private gone = false;

  constructor(
    private readonly client: Socket,
    private readonly targetHost: string,
    private readonly targetPort: number,
    private readonly onGone: () => void,
    /** Between the upstream and the client: forwards the server's bytes, frame by frame where it may drop some. */
    private readonly serverBytes: Transform,
  ) {
    this.watch(client);
  }

  forward(): void {
    this.frozen = false;
    if (this.gone) return;
    if (!this.upstream) {
      this.upstream = new Socket({ allowHalfOpen: true });
      this.watch(this.upstream);
      this.upstream.connect(this.targetPort, this.targetHost);
    }
    this.client.pipe(this.upstream);
    this.upstream.pipe(this.serverBytes);
    this.serverBytes.pipe(this.client);
  }

  freeze(): void {
    this.frozen = true;
    this.client.unpipe();
    this.client.pause();
    this.upstream?.unpipe();
    this.upstream?.pause();
    this.serverBytes.unpipe();
  }

  thaw(): void {
    if (!this.frozen) return;
    if (this.closeHeld) this.destroy();
    else this.forward();
  }

  destroy(): void {
    this.client.destroy();
    this.upstream?.destroy();
    this.serverBytes.destroy();
    if (!this.gone) {
      this.gone = true;
      this.onGone();
    }
  }

  private watch(socket: Socket): void {
    const closed = () => {
      if (this.frozen) this.closeHeld = true;
      else this.destroy();
    };
    socket.on('error', closed).on('close', closed);
  }
}

/**
 * Passes a broker's AMQP 0-9-1 byte stream through, frame by frame (type, channel, size, payload,
 * 0xCE), each as `forwarded` returns it, or left out where it returns null. Should the bytes stop looking like frames (a frame
 * end that is not 0xCE), the rest passes untouched.
 */
class AmqpFrameFilter extends Transform {
  private pending = Buffer.alloc(0);
  private passThrough = false;

  constructor(private readonly forwarded: (frame: AmqpFrame, bytes: Buffer) => Buffer | null) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.passThrough) return done(null, chunk);
    let buffer = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    while (buffer.length >= 7) {
      const size = buffer.readUInt32BE(3);
      const end = 7 + size + 1;
      if (buffer.length < end) break;
      if (buffer[end - 1] !== 0xce) {
        this.passThrough = true;
        out.push(buffer);
        buffer = Buffer.alloc(0);
        break;
      }
      const frame: AmqpFrame = { type: buffer[0], channel: buffer.readUInt16BE(1) };
      if (frame.type === 1 && size >= 4) {
        frame.classId = buffer.readUInt16BE(7);
        frame.methodId = buffer.readUInt16BE(9);
      }
      const bytes = this.forwarded(frame, buffer.subarray(0, end));
      if (bytes) out.push(bytes);
      buffer = buffer.subarray(end);
    }
    this.pending = Buffer.from(buffer);
    done(null, out.length > 0 ? Buffer.concat(out) : undefined);
  }

  override _flush(done: TransformCallback): void {
    done(null, this.pending.length > 0 ? this.pending : undefined);
  }
}
