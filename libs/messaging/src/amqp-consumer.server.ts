import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, EventPattern, Server, type MessageHandler } from '@nestjs/microservices';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { lastValueFrom } from 'rxjs';
import type { QueueSpec, Topology } from '@shop/contracts';
import type { z } from 'zod';
import { AmqpConnection } from './amqp-connection';
import { AmqpContext } from './amqp.context';
import { HEADERS } from './headers';
import type { MessagingOptions } from './messaging.options';
import { retryQueueName } from './topology';

export interface ConsumerOptions {
  /** Queues to consume; each must be in the topology. */
  queues: string[];
  /** Payload schema of a message type; a message that fails it is dead-lettered at once. */
  schemaFor: (type: string) => z.ZodType | undefined;
  /**
   * Errors that say nothing about the message (its database is down, say): retried with backoff
   * without counting an attempt, so an outage of any length never dead-letters good messages.
   */
  isTransient?: (err: unknown) => boolean;
}

/** A message that can never succeed: it goes to the dead-letter queue without a retry. */
class PoisonMessage extends Error {}

/** One message as a batch handler sees it: the validated payload and what identifies it. */
export interface Delivery<T = unknown> {
  payload: T;
  /** Stable across redeliveries and retries: the key for an idempotent consumer. */
  messageId: string;
  type: string;
  queue: string;
  /** 1 for the first delivery, then 2, 3... after delayed retries. */
  attempt: number;
  correlationId?: string;
  traceparent?: string;
}

/**
 * Like `@EventPattern`, but the handler receives every message of this type that is waiting, as
 * `@Payload() deliveries: Delivery<T>[]` (at most half the prefetch), so it can handle them in one
 * transaction. The contract: resolve only when all of them are done (each is then acked); throw, and
 * each message is handled again on its own, so one bad message never holds back the others.
 */
export const BatchEventPattern = (pattern: string | string[]): MethodDecorator => EventPattern(pattern, { batch: true });

interface Pending {
  message: ConsumeMessage;
  delivery: Delivery;
}

/** The deliveries of one consumer channel that wait for a batch handler, per message type. */
interface Subscription {
  channel: Channel;
  queue: QueueSpec;
  waiting: Map<string, Pending[]>;
  /** Types whose handler is running a batch: at most one batch per type at a time. */
  running: Set<string>;
  scheduled: boolean;
  closed: boolean;
}

/**
 * A NestJS microservice transport over RabbitMQ, so handlers are plain `@EventPattern('order.placed')`
 * methods. The contract with a handler: a message is acked only after the handler's promise resolved
 * (its transaction committed); a thrown error sends it to a delayed retry queue, and after
 * `maxAttempts` to `<queue>.dlq`; a message that is not valid JSON, fails its schema, or has no
 * handler goes to `<queue>.dlq` at once. The reason is in the `x-dead-letter-reason` header.
 * A `@BatchEventPattern` handler gets the waiting messages of its type together (see there): under
 * load one transaction serves many messages; when idle, a batch is the one message that arrived.
 */
export class AmqpConsumerServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger(AmqpConsumerServer.name);
  private readonly queues: QueueSpec[];
  private readonly consumers = new Map<string, { channel: Channel; tag: string }>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxBatch: number;
  private closing = false;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly messagingOptions: MessagingOptions,
    private readonly options: ConsumerOptions,
  ) {
    super();
    const topology: Topology = messagingOptions.topology;
    this.queues = options.queues.map((name) => {
      const spec = topology.queues.find((queue) => queue.name === name);
      if (!spec) throw new Error(`queue "${name}" is not in the topology`);
      return spec;
    });
    // Half the prefetch, so the next batch is already delivered while one is handled.
    this.maxBatch = Math.max(1, Math.ceil(this.prefetch / 2));
  }

  private get prefetch(): number {
    return this.messagingOptions.prefetch ?? 20;
  }

  /** Starts at once; consuming begins whenever the broker is (or becomes) reachable. */
  listen(callback: () => void): void {
    void this.connection
      .onConnect((connection) => this.subscribe(connection))
      .then(callback, (err: Error) => {
        this.logger.error(`could not start consuming: ${err.message}`);
        callback();
      });
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
    for (const queue of this.queues) {
      const channel = await connection.createChannel();
      this.connection.watchChannel(connection, channel, `consumer ${queue.name}`, () => this.closing);
      const subscription: Subscription = { channel, queue, waiting: new Map(), running: new Set(), scheduled: false, closed: false };
      // Deliveries still waiting are requeued by the broker when their channel closes: forget them.
      channel.on('close', () => {
        subscription.closed = true;
        subscription.waiting.clear();
      });
      await channel.prefetch(this.prefetch);
      const { consumerTag } = await channel.consume(queue.name, (message) => {
        if (message) this.receive(subscription, message); // null: the broker cancelled us; the channel watch reconnects
      });
      this.consumers.set(queue.name, { channel, tag: consumerTag });
    }
  }

  private track(work: Promise<void>): void {
    const done = work.finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  private receive(subscription: Subscription, message: ConsumeMessage): void {
    const { channel, queue } = subscription;
    const attempt = Number(message.properties.headers?.[HEADERS.attempt] ?? 1);
    let delivery: Delivery;
    let handler: MessageHandler | null;
    try {
      const { type, payload } = this.decode(message);
      handler = this.getHandlerByPattern(type);
      if (!handler) throw new PoisonMessage(`no handler for message type "${type}"`);
      delivery = { payload, type, queue: queue.name, attempt, messageId: message.properties.messageId as string, ...traceOf(message) };
    } catch (err) {
      return this.track(this.settleFailure(channel, queue, message, attempt, err));
    }
    if (!handler.extras?.batch) return this.track(this.handleOne(channel, queue, message, handler, delivery));

    const waiting = subscription.waiting.get(delivery.type) ?? [];
    waiting.push({ message, delivery });
    subscription.waiting.set(delivery.type, waiting);
    // Deliveries parsed from one socket read arrive in the same tick: gather them before starting.
    if (!subscription.scheduled) {
      subscription.scheduled = true;
      setImmediate(() => {
        subscription.scheduled = false;
        this.startBatches(subscription);
      });
    }
  }

  /** Starts a batch for each type that has deliveries waiting and no batch running. */
  private startBatches(subscription: Subscription): void {
    for (const [type, waiting] of subscription.waiting) {
      if (this.closing || subscription.closed || waiting.length === 0 || subscription.running.has(type)) continue;
      const batch = waiting.splice(0, this.maxBatch);
      subscription.running.add(type);
      this.track(
        this.handleBatch(subscription, this.getHandlerByPattern(type)!, batch).finally(() => {
          subscription.running.delete(type);
          this.startBatches(subscription);
        }),
      );
    }
  }

  private async handleBatch(subscription: Subscription, handler: MessageHandler, batch: Pending[]): Promise<void> {
    const { channel, queue } = subscription;
    try {
      await this.invoke(
        handler,
        batch.map((pending) => pending.delivery),
        undefined,
      );
    } catch (err) {
      if (batch.length > 1 && !(this.options.isTransient?.(err) ?? false)) {
        // Which message failed is unknown: handle each alone, so only the bad one is retried.
        this.logger.warn(`a batch of ${batch.length} from ${queue.name} failed (${errorMessage(err)}); handling each message alone`);
        for (const pending of batch) await this.handleBatch(subscription, handler, [pending]);
        return;
      }
      await Promise.all(batch.map(({ message, delivery }) => this.settleFailure(channel, queue, message, delivery.attempt, err)));
      return;
    }
    for (const { message } of batch) ack(channel, message);
  }

  private async handleOne(channel: Channel, queue: QueueSpec, message: ConsumeMessage, handler: MessageHandler, delivery: Delivery): Promise<void> {
    try {
      await this.invoke(handler, delivery.payload, new AmqpContext(message, queue.name, delivery.attempt));
    } catch (err) {
      return this.settleFailure(channel, queue, message, delivery.attempt, err);
    }
    ack(channel, message);
  }

  private async invoke(handler: MessageHandler, data: unknown, context: AmqpContext | undefined): Promise<void> {
    const result = await handler(data, context);
    await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }

  private decode(message: ConsumeMessage): { type: string; payload: unknown } {
    const type = message.properties.type ?? message.fields.routingKey;
    if (!message.properties.messageId) throw new PoisonMessage('message has no messageId');
    let payload: unknown;
    try {
      payload = JSON.parse(message.content.toString('utf8'));
    } catch (err) {
      throw new PoisonMessage(`malformed JSON: ${(err as Error).message}`);
    }
    const schema = this.options.schemaFor(type);
    if (!schema) throw new PoisonMessage(`unknown message type "${type}"`);
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
      throw new PoisonMessage(`schema validation failed for "${type}": ${issues}`);
    }
    return { type, payload: parsed.data };
  }

  /** Moves a failed message on (retry queue or dead-letter queue) before acking it, never dropping it. */
  private async settleFailure(channel: Channel, queue: QueueSpec, message: ConsumeMessage, attempt: number, err: unknown): Promise<void> {
    const reason = errorMessage(err);
    const { retryExchange, deadLetterExchange } = this.messagingOptions.topology;
    const poison = err instanceof PoisonMessage;
    const transient = !poison && (this.options.isTransient?.(err) ?? false);
    const outages = Number(message.properties.headers?.[HEADERS.transientFailures] ?? 0);
    const exhausted = !transient && (attempt >= queue.maxAttempts || queue.retryDelaysMs.length === 0);
    try {
      if (poison || exhausted) {
        const why = poison ? reason : `failed ${attempt} attempts; last error: ${reason}`;
        this.logger.warn(`dead-lettering message ${message.properties.messageId ?? '(no id)'} from ${queue.name}: ${why}`);
        await this.forward(message, deadLetterExchange, queue.name, { [HEADERS.deadLetterReason]: why, [HEADERS.deadLetteredFrom]: queue.name });
      } else {
        const step = transient ? outages : attempt - 1;
        const delayMs = queue.retryDelaysMs[Math.min(step, queue.retryDelaysMs.length - 1)];
        this.logger.warn(
          `message ${message.properties.messageId} from ${queue.name} failed (${transient ? 'transient, not counted' : `attempt ${attempt}`}), retrying in ${delayMs} ms: ${reason}`,
        );
        await this.forward(message, retryExchange, retryQueueName(queue.name, delayMs), {
          [HEADERS.attempt]: transient ? attempt : attempt + 1,
          [HEADERS.transientFailures]: transient ? outages + 1 : outages,
          [HEADERS.lastError]: reason.slice(0, 1000),
        });
      }
      channel.ack(message);
    } catch (forwardErr) {
      // Could not move it on (broker trouble): leave it unacked so the broker redelivers it
      // when this channel closes; the broker's delivery limit bounds a loop.
      this.logger.error(`could not move failed message on: ${errorMessage(forwardErr)}`);
      setTimeout(() => {
        try {
          channel.nack(message, false, true);
        } catch {
          // the channel is gone; the broker has already requeued the message
        }
      }, 1_000).unref();
    }
  }

  private forward(message: ConsumeMessage, exchange: string, routingKey: string, extraHeaders: Record<string, unknown>): Promise<void> {
    const { properties } = message;
    return this.connection.publishConfirmed(exchange, routingKey, message.content, {
      messageId: properties.messageId ?? `unidentified-${message.fields.deliveryTag}`,
      type: properties.type ?? message.fields.routingKey,
      timestamp: properties.timestamp,
      contentType: properties.contentType,
      correlationId: properties.correlationId,
      headers: { ...properties.headers, ...extraHeaders },
    });
  }
}

/** Acks a message whose handler committed. If its channel closed meanwhile, the broker redelivers it and the inbox drops it. */
function ack(channel: Channel, message: ConsumeMessage): void {
  try {
    channel.ack(message);
  } catch {
    // the channel is gone
  }
}

function traceOf(message: ConsumeMessage): { correlationId?: string; traceparent?: string } {
  const headers = message.properties.headers ?? {};
  const header = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string) : undefined);
  return { correlationId: header(HEADERS.correlationId) ?? message.properties.correlationId, traceparent: header(HEADERS.traceparent) };
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
