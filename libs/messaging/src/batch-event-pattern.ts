import { EventPattern } from '@nestjs/microservices';

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
  /**
   * W3C trace context of this delivery's `process` span (with tracing on; else the one it came
   * with): pass it to the events the handler writes, and use `deliveryContext(delivery)` as the
   * parent of a span of the handler's own.
   */
  traceparent?: string;
  /** When the publisher sent it (ms since the epoch), if it said. */
  sentAt?: number;
}

/**
 * Marks a consumer method: it receives the messages of this type that are waiting, as
 * `@Payload() deliveries: Delivery<T>[]` (at most half the prefetch), so it can handle them in one
 * transaction; when idle, a batch is the one message that arrived. The contract: resolve only when
 * all of them are done (each is then acked); throw, and each message is handled again on its own,
 * so one bad message never holds back the others.
 */
export const BatchEventPattern = (pattern: string | string[]): MethodDecorator => EventPattern(pattern, { batch: true });
