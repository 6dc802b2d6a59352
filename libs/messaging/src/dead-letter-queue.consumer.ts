import { Logger } from '@nestjs/common';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { AmqpConnection } from './amqp-connection';
import { errorMessage } from './failure-policy';
import { HEADERS } from './headers';
import { deadLetterQueueName } from './topology';

/** One message as it arrived in a dead-letter queue, with what its headers say of its failure. */
export interface DeadLetterMessage {
  /** The queue it died in (not the `.dlq`). */
  queue: string;
  messageId: string;
  /** The routing key it was published with (its `type`, which the publisher sets to it). */
  routingKey: string;
  type: string | null;
  headers: Record<string, unknown>;
  body: string;
  reason: string;
  /** `QueryFailedError`, `UndecodableMessage`, or `BrokerDeadLettered` when the broker's delivery limit did it. */
  errorClass: string;
  lastError: string | null;
  attempts: number;
  /** 0 for a message that never was replayed. */
  replayCount: number;
  /** The dead letter a replay was made from. */
  replayOf: string | null;
  firstFailedAt: Date;
  deadLetteredAt: Date;
}

/** Pause before a message that could not be taken is given back to its dead-letter queue. */
const REQUEUE_AFTER_MS = 2_000;
const PREFETCH = 20;
/** How long stop() waits for the broker to answer a channel's close. */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * Takes every message of some queues' dead-letter queues and hands it to `take`, which keeps it;
 * the message is acked only after `take` resolved (its transaction committed), so a crash in
 * between leaves it in the queue, to be taken again (the taker recognises it by its message id).
 * A message `take` fails on goes back to the queue after a pause, never in a hot loop. Consumes on
 * every (re)connect, like the service's own consumers; the dead-letter queues stay the buffer
 * while the service is down.
 */
export class DeadLetterQueueConsumer {
  private readonly logger = new Logger(DeadLetterQueueConsumer.name);
  private readonly channels = new Set<Channel>();
  private readonly inFlight = new Set<Promise<void>>();
  private closing = false;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly queues: string[],
    private readonly take: (message: DeadLetterMessage) => Promise<void>,
  ) {}

  async start(): Promise<void> {
    await this.connection.onConnect((connection) => this.subscribe(connection));
  }

  /** Stops taking, lets the messages being taken finish; a channel the broker does not answer is left to its connection's end. */
  async stop(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.inFlight]);
    const closing = [...this.channels].map((channel) => channel.close().catch(() => undefined));
    await Promise.race([Promise.all(closing), new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref())]);
    this.channels.clear();
  }

  private async subscribe(connection: ChannelModel): Promise<void> {
    if (this.closing || this.queues.length === 0) return;
    const channel = await connection.createChannel();
    this.channels.add(channel);
    channel.on('close', () => this.channels.delete(channel));
    this.connection.watchChannel(connection, channel, 'dead-letter intake', () => this.closing);
    await channel.prefetch(PREFETCH);
    for (const queue of this.queues) {
      await channel.consume(deadLetterQueueName(queue), (message) => {
        if (!message || this.closing) return;
        const work = this.takeOne(channel, queue, message);
        this.inFlight.add(work);
        void work.finally(() => this.inFlight.delete(work));
      });
    }
  }

  private async takeOne(channel: Channel, queue: string, message: ConsumeMessage): Promise<void> {
    try {
      await this.take(readDeadLetter(queue, message));
    } catch (err) {
      this.logger.warn(`could not keep dead letter ${message.properties.messageId ?? '(no id)'} of ${queue} (${errorMessage(err)}); it stays in the queue`);
      setTimeout(() => {
        try {
          channel.nack(message, false, true);
        } catch {
          // the channel is gone: the broker has requeued it
        }
      }, REQUEUE_AFTER_MS).unref();
      return;
    }
    try {
      channel.ack(message);
    } catch {
      // the channel is gone: the broker delivers it again, and the taker recognises the copy
    }
  }
}

/** What a dead-lettered message's properties and headers say; `queue` is where it died. */
export function readDeadLetter(queue: string, message: Pick<ConsumeMessage, 'content' | 'properties' | 'fields'>): DeadLetterMessage {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const text = (name: string) => (typeof headers[name] === 'string' && headers[name] !== '' ? (headers[name] as string) : null);
  const date = (name: string) => {
    const value = text(name);
    const parsed = value ? new Date(value) : null;
    return parsed && !Number.isNaN(parsed.getTime()) ? parsed : null;
  };
  const count = (name: string, fallback: number) => {
    const value = Number(headers[name]);
    return Number.isInteger(value) && value >= 0 ? value : fallback;
  };
  // Our consumers name the reason; a message the broker dead-lettered (its delivery limit: the
  // consumer crashed on it again and again) carries only the broker's x-death record.
  const brokerReason = text('x-first-death-reason');
  const reason = text(HEADERS.deadLetterReason) ?? `the broker dead-lettered it (${brokerReason ?? 'no reason given'})`;
  const deadLetteredAt = date(HEADERS.deadLetteredAt) ?? new Date();
  const type = message.properties.type ? String(message.properties.type) : null;
  return {
    queue: text(HEADERS.deadLetteredFrom) ?? queue,
    messageId: message.properties.messageId ? String(message.properties.messageId) : `unidentified-${message.fields.deliveryTag}`,
    routingKey: type ?? message.fields.routingKey,
    type,
    headers,
    body: message.content.toString('utf8'),
    reason,
    errorClass: text(HEADERS.errorClass) ?? (text(HEADERS.deadLetterReason) ? 'Error' : 'BrokerDeadLettered'),
    lastError: text(HEADERS.lastError),
    attempts: count(HEADERS.attempt, 1),
    replayCount: count(HEADERS.replayCount, 0),
    replayOf: text(HEADERS.replayOf),
    firstFailedAt: date(HEADERS.firstFailedAt) ?? deadLetteredAt,
    deadLetteredAt,
  };
}
