import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
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

/**
 * A NestJS microservice transport over RabbitMQ, so handlers are plain `@EventPattern('order.placed')`
 * methods. The contract with a handler: a message is acked only after the handler's promise resolved
 * (its transaction committed); a thrown error sends it to a delayed retry queue, and after
 * `maxAttempts` to `<queue>.dlq`; a message that is not valid JSON, fails its schema, or has no
 * handler goes to `<queue>.dlq` at once. The reason is in the `x-dead-letter-reason` header.
 */
export class AmqpConsumerServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger(AmqpConsumerServer.name);
  private readonly queues: QueueSpec[];
  private readonly consumers = new Map<string, { channel: Channel; tag: string }>();
  private readonly inFlight = new Set<Promise<void>>();
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
      await channel.prefetch(this.messagingOptions.prefetch ?? 20);
      const { consumerTag } = await channel.consume(queue.name, (message) => {
        if (!message) return; // the broker cancelled us (queue deleted); the channel watch reconnects
        const done = this.handle(channel, queue, message).finally(() => this.inFlight.delete(done));
        this.inFlight.add(done);
      });
      this.consumers.set(queue.name, { channel, tag: consumerTag });
    }
  }

  private async handle(channel: Channel, queue: QueueSpec, message: ConsumeMessage): Promise<void> {
    const attempt = Number(message.properties.headers?.[HEADERS.attempt] ?? 1);
    try {
      const { type, payload } = this.decode(message);
      const handler = this.getHandlerByPattern(type);
      if (!handler) throw new PoisonMessage(`no handler for message type "${type}"`);
      const result = await handler(payload, new AmqpContext(message, queue.name, attempt));
      await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
    } catch (err) {
      return this.settleFailure(channel, queue, message, attempt, err);
    }
    try {
      channel.ack(message);
    } catch {
      // The channel closed after the handler committed: the broker redelivers, the inbox drops it.
    }
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

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
