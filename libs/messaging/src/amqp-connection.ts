import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type Options, type Replies } from 'amqplib';
import { coalesceFrameWrites } from './frame-coalescing';
import { BrokerUnavailableError, PublishNackedError, PublishTimeoutError, UnroutableMessageError } from './errors';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
import { bindMainQueue, declareMainQueue, declareTopology, type QueueSpec } from './topology';

/**
 * RabbitMQ offers 60 s, so a half-open link (a dead NAT entry, a partition: no FIN, no RST) would
 * hold the connection for two to three minutes. 5 s notices it within 10 to 15 s, for a frame every
 * 2.5 s each way.
 */
const DEFAULT_HEARTBEAT_SECONDS = 5;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/**
 * Declaring the topology and subscribing are requests the broker answers in milliseconds. A node can
 * keep a connection alive (heartbeats flowing) and still never answer one, e.g. while its side of a
 * partition waits for the rest of the cluster: then the attempt counts as failed and the next node is tried.
 */
const DEFAULT_SETUP_TIMEOUT_MS = 15_000;
/** AMQP reply code of a refusal for want of a permission. */
const ACCESS_REFUSED = 403;
/** A connection given up on is closed politely; a node that does not answer the close within this long has its socket destroyed. */
const CLOSE_TIMEOUT_MS = 2_000;

/** One broker node the service may connect to. */
interface BrokerAddress {
  url: string;
  /** host:port, for logs (never the credentials). */
  label: string;
}

/** amqplib takes the heartbeat it asks the broker for from the URL's query only. */
function brokerAddress(url: string, heartbeatSeconds: number): BrokerAddress {
  const parsed = new URL(url);
  parsed.searchParams.set('heartbeat', String(heartbeatSeconds));
  return { url: parsed.toString(), label: parsed.host };
}

/** Runs after every (re)connect, once topology is declared: consumers subscribe here. */
export type ConnectHook = (connection: ChannelModel) => Promise<void>;

/**
 * One connection to RabbitMQ per service, to one node of the cluster at a time. Losing it (the node
 * died, a network cut, a frozen link noticed by the heartbeat), the service connects to the next
 * address of its list, and on to the others with exponential backoff while none answers; with one
 * address it simply retries that one. Each connect declares the topology again, opens a fresh
 * confirm channel for publishing and runs the consumers' hooks. While disconnected, publishing fails
 * at once, and a publish in flight when the connection dies fails too, so a caller such as the
 * outbox relay keeps its message and publishes it again.
 *
 * A live connection is not always a working one. A publish the broker does not confirm within
 * publishTimeoutMs means the channel or the node is stuck (its side of a partition has no quorum, or
 * a quorum queue's client in the broker lost a message in a partition and holds every later one back:
 * rabbitmq-server#14589, fixed in 4.1/4.2), and waiting on that channel only gets more timeouts. So
 * the connection is given up on and the next node tried, unless the broker said it blocks publishing
 * (a memory or disk alarm, cluster-wide: another node would not confirm either). A connection whose
 * broker nacks every publish for as long is given up on too: an ack in between (an unroutable
 * message is returned, then acked) shows the connection works, and a single refusal says nothing.
 *
 * amqplib's own recovery reconnects to a single URL only, hence this loop.
 */
@Injectable()
export class AmqpConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AmqpConnection.name);
  private readonly connectHooks: ConnectHook[] = [];
  /** Message ids the broker returned as unroutable; checked when their confirm arrives. */
  private readonly returned = new Set<string>();
  private readonly addresses: BrokerAddress[];
  /** Index (modulo the list) of the address the next attempt uses. */
  private next: number;
  /** Failed attempts since the last connection that worked: the backoff grows with them. */
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private live: ChannelModel | null = null;
  /** host:port of the node of the live connection. */
  private currentLabel: string | null = null;
  private publishChannel: ConfirmChannel | null = null;
  /** The live connection's broker said it blocks publishing (a resource alarm) and has not unblocked yet. */
  private blocked = false;
  /** Since when every confirm on the live connection has been a nack; null after an ack. */
  private nackedSince: number | null = null;
  private stopping = false;
  /** Said once (not at every reconnect) that amqplib's writer loop was not where coalesceFrameWrites looks. */
  private saidUncoalesced = false;

  constructor(@Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions) {
    if (options.urls.length === 0) throw new Error('no broker address: give at least one amqp:// URL');
    const heartbeat = options.heartbeatSeconds ?? DEFAULT_HEARTBEAT_SECONDS;
    this.addresses = options.urls.map((url) => brokerAddress(url, heartbeat));
    // Replicas of a service spread their connections over the nodes instead of all taking the first.
    this.next = Math.floor(Math.random() * this.addresses.length);
  }

  /** Starts connecting without waiting for the broker: a service must start while it is down. */
  async onModuleInit(): Promise<void> {
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const live = this.live;
    this.live = null;
    this.publishChannel = null;
    await live?.close().catch(() => undefined);
  }

  isConnected(): boolean {
    return this.live !== null;
  }

  /** Resolves once connected (tests and tools; services never wait for the broker). */
  async waitUntilConnected(): Promise<void> {
    while (!this.live) {
      if (this.stopping) throw new BrokerUnavailableError('the connection was shut down');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** host:port of the node this service is connected to, or null. */
  connectedNode(): string | null {
    return this.live ? this.currentLabel : null;
  }

  /** Registers a hook that runs on the current connection (if any) and after every reconnect. */
  async onConnect(hook: ConnectHook): Promise<void> {
    this.connectHooks.push(hook);
    if (this.live) await hook(this.live);
  }

  /** Messages ready and consumers attached to a queue, or null while the broker is unreachable. */
  async inspectQueue(queue: string): Promise<Replies.AssertQueue | null> {
    const connection = this.live;
    if (!connection) return null;
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    try {
      return await channel.checkQueue(queue);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /**
   * Publishes and resolves when the broker has confirmed the message to disk; rejects when it is
   * unreachable, returns the message as unroutable (`mandatory`, unless the caller sets it false),
   * or does not confirm in time.
   */
  publishConfirmed(exchange: string, routingKey: string, content: Buffer, properties: Options.Publish & { messageId: string }): Promise<void> {
    const channel = this.publishChannel;
    const connection = this.live;
    if (!channel || !connection) return Promise.reject(new BrokerUnavailableError('not connected to the broker'));
    const timeoutMs = this.options.publishTimeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new PublishTimeoutError(`no confirm within ${timeoutMs} ms`));
        if (!this.blocked) this.abandon(connection, `the broker confirmed no publish within ${timeoutMs} ms`);
      }, timeoutMs);
      try {
        channel.publish(exchange, routingKey, content, { ...properties, mandatory: properties.mandatory ?? true, persistent: true }, (err) => {
          clearTimeout(timer);
          const wasReturned = this.returned.delete(properties.messageId);
          // amqplib reports a basic.nack as this error, and a channel closed before the confirm as another.
          const nacked = err instanceof Error && err.message === 'message nacked';
          if (nacked || !err) this.confirmed(connection, nacked, timeoutMs);
          if (nacked) reject(new PublishNackedError(`the broker refused the message for ${exchange} "${routingKey}" (basic.nack)`));
          else if (err) reject(new BrokerUnavailableError(err instanceof Error ? err.message : String(err)));
          else if (wasReturned) reject(new UnroutableMessageError(`no queue is bound to ${exchange} for "${routingKey}"`));
          else resolve();
        });
      } catch (err) {
        // amqplib throws synchronously when the channel closed between our check and the call.
        clearTimeout(timer);
        reject(new BrokerUnavailableError((err as Error).message));
      }
    });
  }

  /** A confirm came: an ack ends a streak of nacks; a nack streak longer than `boundMs` gives the connection up. */
  private confirmed(connection: ChannelModel, nacked: boolean, boundMs: number): void {
    if (this.live !== connection) return;
    if (!nacked) {
      this.nackedSince = null;
      return;
    }
    const now = Date.now();
    this.nackedSince ??= now;
    if (now - this.nackedSince >= boundMs) this.abandon(connection, `the broker nacked every publish for ${now - this.nackedSince} ms`);
  }

  private schedule(delayMs: number): void {
    if (this.stopping || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.attempt();
    }, delayMs);
  }

  /** Exponential backoff with jitter, from the first failure on; the first attempt after a loss is immediate. */
  private backoff(): number {
    if (this.failures === 0) return 0;
    const initial = this.options.reconnect?.initialDelayMs ?? 250;
    const max = this.options.reconnect?.maxDelayMs ?? 5_000;
    const base = Math.min(max, initial * 2 ** (this.failures - 1));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private async attempt(): Promise<void> {
    const address = this.addresses[this.next % this.addresses.length];
    let model: ChannelModel | null = null;
    let closed = false;
    try {
      model = await connect(address.url, {
        clientProperties: { connection_name: this.options.connectionName },
        // Without it, an attempt over a frozen link waits forever and is never retried.
        timeout: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        // amqplib leaves Nagle's algorithm on: a publish then waits for the broker's delayed ACK,
        // about 40 ms a message (measured: quorum queue publish-to-deliver p50 34 ms, 1 ms without).
        noDelay: true,
      });
      const connection = model;
      if (!coalesceFrameWrites(connection) && !this.saidUncoalesced) {
        this.saidUncoalesced = true;
        this.logger.warn(`this amqplib does not have the writer loop coalesceFrameWrites expects: each frame is a write of its own`);
      }
      // Listened to from the first moment: a cut during setup must neither crash the service
      // (an unhandled 'error') nor go unnoticed (a 'close' nobody heard).
      connection.on('error', (err: Error) => this.logger.warn(`broker connection error (${address.label}): ${err.message}`));
      connection.once('close', (err?: Error) => {
        closed = true;
        if (this.live === connection) this.lost(connection, err);
      });
      connection.on('blocked', (reason: string) => {
        if (this.live === connection) this.blocked = true;
        this.logger.warn(`the broker blocks publishing (${address.label}): ${reason}`);
      });
      connection.on('unblocked', () => {
        if (this.live === connection) this.blocked = false;
        this.logger.log(`the broker unblocked publishing (${address.label})`);
      });
      await this.withinSetupTimeout(this.setUp(connection));
      if (closed) throw new Error('the connection closed while it was being set up');
      if (this.stopping) {
        await connection.close().catch(() => undefined);
        return;
      }
      this.failures = 0;
      this.currentLabel = address.label;
      this.blocked = false;
      this.nackedSince = null;
      this.live = connection;
      this.logger.log(`connected to the broker at ${address.label} as ${this.options.connectionName}`);
    } catch (err) {
      this.live = null;
      this.publishChannel = null;
      if (model) await closeWithin(model, CLOSE_TIMEOUT_MS);
      if (this.stopping) return;
      this.failures++;
      this.next++;
      const delay = this.backoff();
      this.logger.warn(
        `broker connection attempt to ${address.label} failed (${(err as Error).message}); trying ${this.addresses[this.next % this.addresses.length].label} in ${delay} ms`,
      );
      this.schedule(delay);
    }
  }

  /** The connection that worked is gone: try the next node first, since this one may be down. */
  private lost(connection: ChannelModel, err?: Error): void {
    if (this.live !== connection) return;
    this.live = null;
    this.publishChannel = null;
    if (this.stopping) return;
    this.logger.warn(`broker connection to ${this.currentLabel} lost (${err?.message ?? 'closed'}); reconnecting`);
    this.next++;
    this.schedule(this.backoff());
  }

  /**
   * A live connection that does not work (see the class comment, and the consumers' stall check):
   * stop using it now, connect to the next node, and close this one in the background. Its
   * consumers' unacked deliveries go back to their queues when it closes; the inbox drops any copy
   * handled twice. Does nothing if `connection` is no longer the live one.
   */
  abandon(connection: ChannelModel, why: string): void {
    if (this.live !== connection || this.stopping) return;
    this.live = null;
    this.publishChannel = null;
    this.logger.warn(`${why} on ${this.currentLabel}; leaving that connection for the next node`);
    this.next++;
    this.schedule(this.backoff());
    void closeWithin(connection, CLOSE_TIMEOUT_MS);
  }

  private withinSetupTimeout(setUp: Promise<void>): Promise<void> {
    const timeoutMs = this.options.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the broker did not answer the connection's setup within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([setUp, timeout]).finally(() => clearTimeout(timer));
  }

  private async setUp(connection: ChannelModel): Promise<void> {
    const admin = await connection.createChannel();
    // A refused declaration rejects the call below (and recovery retries); the event is not a crash.
    admin.on('error', () => undefined);
    for (const exchange of await this.missing(connection, this.options.topology.externalExchanges ?? [], (probe, name) => probe.checkExchange(name))) {
      this.logger.warn(`exchange ${exchange.name} is not on the broker (no definitions loaded?); declaring it`);
      await admin.assertExchange(exchange.name, exchange.type, { durable: true });
    }
    await declareTopology(admin, this.options.topology);
    const { externalQueues = [], deadLetterExchange } = this.options.topology;
    for (const queue of await this.missing(connection, externalQueues, (probe, name) => probe.checkQueue(name))) {
      this.logger.warn(`queue ${queue.name}, which receives what this service publishes, is not on the broker (no definitions loaded?); declaring it`);
      await declareMainQueue(admin, queue, deadLetterExchange);
    }
    await admin.close();
    for (const queue of externalQueues) await this.bindWherePermitted(connection, queue);

    const publishChannel = await connection.createConfirmChannel();
    // The broker sends basic.return before the confirm of the same message.
    publishChannel.on('return', (message) => {
      if (message.properties.messageId) this.returned.add(message.properties.messageId);
    });
    this.watchChannel(connection, publishChannel, 'publish');

    for (const hook of this.connectHooks) await hook(connection);
    this.publishChannel = publishChannel;
  }

  /**
   * Asserts the bindings of another service's queue, found or just declared: a producer killed
   * between declaring it and binding it left it unbound, and every event for it unroutable. A user
   * without the right (least privilege: the broker's definitions hold the bindings) is refused, on
   * its own channel, and that is fine.
   */
  private async bindWherePermitted(connection: ChannelModel, queue: QueueSpec): Promise<void> {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    try {
      await bindMainQueue(channel, queue);
    } catch (err) {
      if ((err as { code?: number }).code !== ACCESS_REFUSED) throw err;
      this.logger.debug(`not permitted to bind ${queue.name}; its bindings are the broker definitions' to hold`);
    }
    await channel.close().catch(() => undefined);
  }

  /** Which of these exchanges or queues do not exist; a passive check needs no permission, and a miss closes only its own channel. */
  private async missing<T extends { name: string }>(
    connection: ChannelModel,
    things: T[],
    check: (probe: Channel, name: string) => Promise<unknown>,
  ): Promise<T[]> {
    const missing: T[] = [];
    for (const thing of things) {
      const probe = await connection.createChannel();
      probe.on('error', () => undefined);
      const found = await check(probe, thing.name).then(
        () => true,
        () => false,
      );
      if (!found) missing.push(thing);
      await probe.close().catch(() => undefined);
    }
    return missing;
  }

  /**
   * A channel can close while its connection lives on (a protocol error, a deleted queue). Rather
   * than repair channels one by one, close the connection: recovery then rebuilds everything.
   */
  watchChannel(connection: ChannelModel, channel: Channel, purpose: string, closedOnPurpose: () => boolean = () => false): void {
    channel.on('error', (err: Error) => this.logger.warn(`${purpose} channel error: ${err.message}`));
    channel.on('close', () => {
      if (this.stopping || closedOnPurpose() || this.live !== connection) return;
      this.logger.warn(`${purpose} channel closed unexpectedly; reconnecting`);
      // Its 'close' event then runs lost(), which reconnects.
      connection.close().catch(() => undefined);
    });
  }
}

/**
 * Closes a connection, or, when its node does not answer the close (heartbeats may still flow from
 * a node that answers nothing else), destroys its socket. amqplib keeps the socket on the
 * connection's `stream`; its typings do not show it.
 */
async function closeWithin(connection: ChannelModel, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closed = connection.close().then(
    () => true,
    () => true,
  );
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const inTime = await Promise.race([closed, late]);
  clearTimeout(timer);
  if (!inTime) (connection.connection as { stream?: { destroy(): void } }).stream?.destroy();
}
