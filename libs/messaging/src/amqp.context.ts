import { BaseRpcContext } from '@nestjs/microservices';
import type { ConsumeMessage } from 'amqplib';
import { HEADERS } from './headers';

/** What a handler can learn about the message it is handling (`@Ctx() context: AmqpContext`). */
export class AmqpContext extends BaseRpcContext<[ConsumeMessage, string, number]> {
  constructor(message: ConsumeMessage, queue: string, attempt: number) {
    super([message, queue, attempt]);
  }

  getMessage(): ConsumeMessage {
    return this.args[0];
  }

  /** The queue the message came from, e.g. `inventory.order-placed`. */
  getQueue(): string {
    return this.args[1];
  }

  /** 1 for the first delivery, then 2, 3... after delayed retries. */
  getAttempt(): number {
    return this.args[2];
  }

  /** Stable across redeliveries and retries: the key for an idempotent consumer. */
  getMessageId(): string {
    return this.getMessage().properties.messageId as string;
  }

  getCorrelationId(): string | undefined {
    return this.header(HEADERS.correlationId) ?? this.getMessage().properties.correlationId;
  }

  getTraceparent(): string | undefined {
    return this.header(HEADERS.traceparent);
  }

  private header(name: string): string | undefined {
    const value = this.getMessage().properties.headers?.[name];
    return typeof value === 'string' ? value : undefined;
  }
}
