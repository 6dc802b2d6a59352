import type { Logger } from '@nestjs/common';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { AmqpConnection } from './amqp-connection';
import { errorMessage, type Settlement } from './failure-policy';
import { HEADERS } from './headers';
import { retryQueueName, type QueueSpec, type Topology } from './topology';

/** How long a message that could not be moved on stays unacked before it is requeued. */
const REQUEUE_AFTER_MS = 1_000;

/** Carries out settlements for the messages of one consumer channel. */
export class Settler {
  constructor(
    private readonly connection: AmqpConnection,
    private readonly topology: Pick<Topology, 'retryExchange' | 'deadLetterExchange'>,
    private readonly channel: Channel,
    private readonly queue: QueueSpec,
    private readonly logger: Logger,
  ) {}

  /** Acks the message, after copying it to its retry or dead-letter queue if it failed; never drops it. */
  async settle(message: ConsumeMessage, settlement: Settlement): Promise<void> {
    if (settlement.action === 'ack') return this.ack(message);
    const id = message.properties.messageId ?? '(no id)';
    const now = new Date().toISOString();
    const firstFailedAt = (message.properties.headers?.[HEADERS.firstFailedAt] as string | undefined) ?? now;
    try {
      if (settlement.action === 'dead-letter') {
        this.logger.warn(`dead-lettering message ${id} from ${this.queue.name}: ${settlement.reason}`);
        await this.forward(message, this.topology.deadLetterExchange, this.queue.name, {
          [HEADERS.deadLetterReason]: settlement.reason,
          [HEADERS.errorClass]: settlement.errorClass,
          [HEADERS.deadLetteredFrom]: this.queue.name,
          [HEADERS.firstFailedAt]: firstFailedAt,
          [HEADERS.deadLetteredAt]: now,
        });
      } else {
        const { next, delayMs, lastError } = settlement;
        const counted = settlement.counted ? `attempt ${next.attempt - 1}` : 'transient, not counted';
        this.logger.warn(`message ${id} from ${this.queue.name} failed (${counted}), retrying in ${delayMs} ms: ${lastError}`);
        await this.forward(message, this.topology.retryExchange, retryQueueName(this.queue.name, delayMs), {
          [HEADERS.attempt]: next.attempt,
          [HEADERS.transientFailures]: next.transientFailures,
          [HEADERS.lastError]: lastError,
          [HEADERS.firstFailedAt]: firstFailedAt,
        });
      }
      this.channel.ack(message);
    } catch (forwardErr) {
      // Could not move it on (broker trouble): requeue it after a pause rather than in a hot loop;
      // the queue's delivery limit bounds the loop. If the channel is gone, the broker requeued it.
      this.logger.error(`could not move failed message ${id} on: ${errorMessage(forwardErr)}`);
      setTimeout(() => {
        try {
          this.channel.nack(message, false, true);
        } catch {
          // the channel is gone; the broker has already requeued the message
        }
      }, REQUEUE_AFTER_MS).unref();
    }
  }

  /** If the channel closed after the handler committed, the broker redelivers and the inbox drops the copy. */
  private ack(message: ConsumeMessage): void {
    try {
      this.channel.ack(message);
    } catch {
      // the channel is gone
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
