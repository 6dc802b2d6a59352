import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server, type MessageHandler } from '@nestjs/microservices';
import type { QueueSpec } from './topology';
import type { Channel, ChannelModel } from 'amqplib';
import { lastValueFrom } from 'rxjs';
import type { z } from 'zod';
import { AmqpConnection } from './amqp-connection';
import { BatchDispatcher } from './batch-dispatcher';
import type { Delivery } from './batch-event-pattern';
import type { MessagingOptions } from './messaging.options';
import { Settler } from './settlement';

export interface ConsumerOptions {
  /** Queues to consume; each must be in the topology. */
  queues: string[];
  /** Payload schema of a message type; a message that fails it is dead-lettered at once. */
  schemaFor: (type: string, queue: string) => z.ZodType | undefined;
  /**
   * Errors that say nothing about the message (its database is down, say): retried with backoff
   * without counting an attempt, so an outage of any length never dead-letters good messages.
   */
  isTransient?: (err: unknown) => boolean;
  /**
   * The message types routed to each queue: the transport refuses to start when one of them has no
   * handler, rather than dead-letter every such message once running.
   */
  routedTypes?: (queue: string) => readonly string[];
  /**
   * How deliveries are handed to handlers. By default one batch per message type at a time, of up to
   * half the prefetch (a service whose handler does one transaction per batch). A handler that makes
   * a slow outside call per message takes smaller batches, several at once, so one slow message
   * holds up only its own batch (and is settled on its own).
   */
  batching?: { maxBatch: number; concurrentBatches: number };
}

/** Pause before a consumer the broker cancelled subscribes again. */
const CANCELLED_CONSUMER_RETRY_MS = 1_000;
const DEFAULT_STALL_CHECK_MS = 10_000;
/** Checks in a row that must find a consumer stalled before its connection is given up on. */
const STALLED_CHECKS = 3;

/** One queue consumed on one connection. */
interface Subscription {
  queue: string;
  dispatcher: BatchDispatcher;
  /** Deliveries received so far. */
  received: number;
}

/**
 * A NestJS microservice transport over RabbitMQ whose handlers are `@BatchEventPattern` methods:
 * it subscribes to the queues on every (re)connect and hands each channel's deliveries to a
 * BatchDispatcher, which settles every message by the failure policy (failure-policy.ts). A
 * message is acked only after its handler's promise resolved (its transaction committed).
 * Shutdown stops consuming and waits for in-flight handlers.
 *
 * A consumer can stall with its connection alive: subscribed, holding nothing, while its queue has
 * messages ready that the broker never sends (a quorum queue's consumer state lost in a partition).
 * Nothing in AMQP reports that, so each connection checks its consumers every
 * `consumerStallCheckMs`, and gives the connection up when one stays stalled for three checks.
 */
export class AmqpConsumerServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger(AmqpConsumerServer.name);
  private readonly queues: QueueSpec[];
  private readonly consumers = new Map<string, { channel: Channel; tag: string }>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxBatch: number;
  /**
   * The handler of each message type met, looked up once: Nest's lookup first parses the pattern as
   * JSON, and a routing key is not JSON, so every lookup built and caught a SyntaxError, twice per
   * delivery (the Node services' CPU per order ×0.95 without it: bench/README.md). Found handlers only: a type nobody handles
   * (a poisoned message's) is not kept, so no sender can grow the map.
   */
  private readonly handlers = new Map<string, MessageHandler>();
  private closing = false;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly messagingOptions: MessagingOptions,
    private readonly options: ConsumerOptions,
  ) {
    super();
    this.queues = options.queues.map((name) => {
      const spec = messagingOptions.topology.queues.find((queue) => queue.name === name);
      if (!spec) throw new Error(`queue "${name}" is not in the topology`);
      // A failed message waits in a retry queue; without one, an outage could only dead-letter it.
      if (spec.retryDelaysMs.length === 0) throw new Error(`queue "${name}" has no retry delays`);
      return spec;
    });
    // Half the prefetch, so the next batch is already delivered while one is handled.
    this.maxBatch = options.batching?.maxBatch ?? Math.max(1, Math.ceil(this.prefetch / 2));
  }

  private get prefetch(): number {
    return this.messagingOptions.prefetch ?? 20;
  }

  /** Starts at once; consuming begins whenever the broker is (or becomes) reachable. */
  listen(callback: (err?: unknown) => void): void {
    const single = [...this.getHandlers()].filter(([, handler]) => !handler.extras?.batch).map(([pattern]) => pattern);
    if (single.length > 0) return callback(new Error(`message handlers must be @BatchEventPattern methods; not so for: ${single.join(', ')}`));
    const unhandled = this.unhandledTypes();
    if (unhandled.length > 0) return callback(new Error(`no @BatchEventPattern handler in this app for ${unhandled.join('; ')}`));
    void this.connection
      .onConnect((connection) => this.subscribe(connection))
      .then(
        () => callback(),
        (err: Error) => {
          this.logger.error(`could not start consuming: ${err.message}`);
          callback();
        },
      );
  }

  /** Each routed type without a handler, named with its queue. */
  private unhandledTypes(): string[] {
    const { routedTypes } = this.options;
    if (!routedTypes) return [];
    return this.queues.flatMap((queue) =>
      routedTypes(queue.name)
        .filter((type) => this.getHandlerByPattern(type) === null)
        .map((type) => `routing key "${type}" of queue "${queue.name}"`),
    );
  }

  /** Graceful: stop taking deliveries, let in-flight handlers finish (and ack), then return. */
  async close(): Promise<void> {
    this.closing = true;
    for (const { channel, tag } of this.consumers.values()) {
      await channel.cancel(tag).catch(() => undefined);
    }
    const timeoutMs = this.messagingOptions.shutdownTimeoutMs ?? 10_000;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    for (const { channel } of this.consumers.values()) {
      await channel.close().catch(() => undefined);
    }
    this.consumers.clear();
  }

  on(): never {
    throw new Error('AmqpConsumerServer does not emit events');
  }

  unwrap<T>(): T {
    return this.connection as T;
  }

  private async subscribe(connection: ChannelModel): Promise<void> {
    if (this.closing) return;
    const subscriptions: Subscription[] = [];
    for (const queue of this.queues) {
      const channel = await connection.createChannel();
      this.connection.watchChannel(connection, channel, `consumer ${queue.name}`, () => this.closing);
      const dispatcher = new BatchDispatcher({
        queue,
        maxBatch: this.maxBatch,
        concurrentBatches: this.options.batching?.concurrentBatches ?? 1,
        schemaFor: this.options.schemaFor,
        hasHandler: (type) => this.handlerOf(type) !== null,
        handle: (type, deliveries) => this.handle(type, deliveries),
        isTransient: this.options.isTransient ?? (() => false),
        settler: new Settler(this.connection, this.messagingOptions.topology, channel, queue, this.logger),
        track: (work) => this.track(work),
        isClosing: () => this.closing,
        logger: this.logger,
      });
      channel.on('close', () => dispatcher.close());
      await channel.prefetch(this.prefetch);
      const subscription: Subscription = { queue: queue.name, dispatcher, received: 0 };
      await this.consume(channel, subscription);
      subscriptions.push(subscription);
    }
    this.watchForStalls(connection, subscriptions);
  }

  private watchForStalls(connection: ChannelModel, subscriptions: Subscription[]): void {
    const everyMs = this.messagingOptions.consumerStallCheckMs ?? DEFAULT_STALL_CHECK_MS;
    if (everyMs <= 0) return;
    const stalledChecks = new Map<Subscription, { received: number; stalled: number }>();
    let checking = false;
    const timer = setInterval(() => {
      if (checking) return;
      checking = true;
      this.checkForStalls(connection, subscriptions, stalledChecks, everyMs)
        .catch((err: Error) => this.logger.warn(`could not check the consumers for stalls: ${err.message}`))
        .finally(() => (checking = false));
    }, everyMs);
    timer.unref();
    connection.once('close', () => clearInterval(timer));
  }

  /** Stalled: subscribed, holding no delivery, none received since the last check, and its queue has messages ready. */
  private async checkForStalls(
    connection: ChannelModel,
    subscriptions: Subscription[],
    checks: Map<Subscription, { received: number; stalled: number }>,
    everyMs: number,
  ): Promise<void> {
    for (const subscription of subscriptions) {
      if (this.closing) return;
      const last = checks.get(subscription) ?? { received: subscription.received, stalled: 0 };
      const quiet = subscription.received === last.received && subscription.dispatcher.isIdle() && this.consumers.has(subscription.queue);
      const ready = quiet ? ((await this.connection.inspectQueue(subscription.queue))?.messageCount ?? 0) : 0;
      const stalled = quiet && ready > 0 ? last.stalled + 1 : 0;
      checks.set(subscription, { received: subscription.received, stalled });
      if (stalled >= STALLED_CHECKS) {
        this.connection.abandon(
          connection,
          `the consumer of ${subscription.queue} received nothing in ${((STALLED_CHECKS - 1) * everyMs) / 1000} s while its queue had ${ready} messages ready`,
        );
        return;
      }
    }
  }

  /**
   * The broker may cancel a consumer while the channel lives on (basic.cancel: the queue was deleted,
   * or its node left the cluster). Then the consumer subscribes again on the same channel, after a
   * pause; if the queue is gone for good the attempt closes the channel, and the channel watch
   * reconnects, which declares the topology again. In-flight deliveries are settled as usual.
   */
  private async consume(channel: Channel, subscription: Subscription): Promise<void> {
    const { queue, dispatcher } = subscription;
    const { consumerTag } = await channel.consume(queue, (message) => {
      if (message) {
        subscription.received++;
        return dispatcher.receive(message);
      }
      if (this.closing) return;
      this.logger.warn(`the broker cancelled the consumer of ${queue}; subscribing again`);
      this.consumers.delete(queue);
      setTimeout(() => {
        if (this.closing) return;
        this.consume(channel, subscription).catch((err: Error) => this.logger.warn(`could not subscribe to ${queue} again: ${err.message}`));
      }, CANCELLED_CONSUMER_RETRY_MS).unref();
    });
    this.consumers.set(queue, { channel, tag: consumerTag });
  }

  private handlerOf(type: string): MessageHandler | null {
    let handler = this.handlers.get(type) ?? null;
    if (!handler) {
      handler = this.getHandlerByPattern(type);
      if (handler) this.handlers.set(type, handler);
    }
    return handler;
  }

  private async handle(type: string, deliveries: Delivery[]): Promise<void> {
    const result = await this.handlerOf(type)!(deliveries);
    await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }

  private track(work: Promise<void>): void {
    const done = work.finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }
}
