import { Injectable } from '@nestjs/common';
import { AmqpConnection } from './amqp-connection';
import { HEADERS } from './headers';

export interface OutgoingMessage {
  exchange: string;
  /** Also the message `type`, unless `type` says otherwise. */
  routingKey: string;
  /** The message type when it is not the routing key (a replay routed by its queue's name). */
  type?: string;
  /** Stable across retries (the outbox row id), so consumers can drop duplicates. */
  messageId: string;
  payload: unknown;
  timestamp?: Date;
  correlationId?: string;
  /** W3C trace context of the operation that produced the message. */
  traceparent?: string;
  headers?: Record<string, unknown>;
  /** A message no queue receives fails as unroutable (default); false lets the broker drop it. */
  mandatory?: boolean;
}

/** Publishes persistent JSON messages and resolves only when the broker confirmed them. */
@Injectable()
export class Publisher {
  constructor(private readonly connection: AmqpConnection) {}

  publish(message: OutgoingMessage): Promise<void> {
    const timestamp = message.timestamp ?? new Date();
    return this.connection.publishConfirmed(message.exchange, message.routingKey, Buffer.from(JSON.stringify(message.payload)), {
      messageId: message.messageId,
      type: message.type ?? message.routingKey,
      timestamp: Math.floor(timestamp.getTime() / 1000),
      contentType: 'application/json',
      mandatory: message.mandatory ?? true,
      correlationId: message.correlationId,
      headers: {
        ...message.headers,
        ...(message.correlationId ? { [HEADERS.correlationId]: message.correlationId } : {}),
        ...(message.traceparent ? { [HEADERS.traceparent]: message.traceparent } : {}),
        [HEADERS.sentAt]: Date.now(),
      },
    });
  }
}
