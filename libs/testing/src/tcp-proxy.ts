import { createServer, Socket, type AddressInfo, type Server } from 'node:net';

/**
 * What a freeze does to connections opened while it lasts: `hang` (a network partition) accepts
 * them and forwards nothing until the thaw; `forward` (a dead NAT entry, a stuck load balancer
 * flow) forwards them as usual, so only the connections that existed before are frozen.
 */
export type NewConnectionsWhileFrozen = 'hang' | 'forward';

/**
 * A TCP proxy on 127.0.0.1 that a test can cut or freeze.
 *
 * - `cut()` drops every connection and refuses new ones (a broker outage as the service sees it),
 *   `restore()` forwards again.
 * - `freeze()` stops forwarding in both directions without closing anything: no FIN, no RST, the
 *   sockets stay open and writes still succeed, as over a half-open link. Bytes are held, not
 *   dropped, and so is a close from either side: `thaw()` delivers them, as TCP would once a
 *   partition heals. Only a heartbeat or a timeout can tell the endpoints that something is wrong.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly connections = new Set<ProxiedConnection>();
  private open = true;
  private frozen: { newConnections: NewConnectionsWhileFrozen } | null = null;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    // Half-open allowed: a FIN is forwarded as a FIN (or held while frozen), never answered by the proxy itself.
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
      if (!this.open) return client.destroy();
      const connection = new ProxiedConnection(client, this.targetHost, this.targetPort, () => this.connections.delete(connection));
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
    this.upstream.pipe(this.client);
  }

  freeze(): void {
    this.frozen = true;
    this.client.unpipe();
    this.client.pause();
    this.upstream?.unpipe();
    this.upstream?.pause();
  }

  thaw(): void {
    if (!this.frozen) return;
    if (this.closeHeld) this.destroy();
    else this.forward();
  }

  destroy(): void {
    this.client.destroy();
    this.upstream?.destroy();
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
