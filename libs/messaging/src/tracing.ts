import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';
import { childTraceparent, HEADERS, validTraceparent } from './headers';

/**
 * Spans of the messaging path, by OpenTelemetry's messaging conventions, through the API only: with
 * no SDK started (no collector configured) every span here is a no-op and a message's traceparent
 * is carried along unchanged, as before tracing existed.
 */
const tracer = trace.getTracer('@shop/messaging');

/** The context a W3C traceparent (a message header, an outbox row) continues; the root when absent or malformed. */
export function contextOf(traceparent: string | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { [HEADERS.traceparent]: traceparent }) : ROOT_CONTEXT;
}

/** The W3C traceparent of `ctx`'s span (sampled or not), when an SDK is started; undefined otherwise. */
export function traceparentOf(ctx: Context): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier[HEADERS.traceparent];
}

/**
 * The traceparent to store with an event written now: `explicit` (a consumer passes the message it
 * handles), else the active span's (the HTTP request writing an order), else a new trace, so every
 * message carries one even with tracing off.
 */
export function traceparentForNewEvent(explicit?: string): string {
  return validTraceparent(explicit) ?? traceparentOf(context.active()) ?? childTraceparent(undefined);
}

/** The context of a delivery (its per-message `process` span): the parent for a handler's own spans (an email sent, a provider called). */
export function deliveryContext(delivery: { traceparent?: string }): Context {
  return contextOf(delivery.traceparent);
}

const RABBITMQ = { 'messaging.system': 'rabbitmq' } as const;

/** What the publishing side knows of one message. */
export interface PublishedMessage {
  exchange: string;
  routingKey: string;
  messageId: string;
  correlationId?: string;
  /** The context of the operation that wrote it (the outbox row's). */
  traceparent?: string;
  /** When it was written (the outbox row's creation): its age at publish is the time it spent in the outbox. */
  writtenAt?: Date;
}

function messageAttributes(message: PublishedMessage, operation: 'send' | 'create'): Attributes {
  return {
    ...RABBITMQ,
    'messaging.operation.type': operation,
    'messaging.operation.name': operation === 'send' ? 'publish' : 'create',
    'messaging.destination.name': message.exchange,
    'messaging.rabbitmq.destination.routing_key': message.routingKey,
    'messaging.message.id': message.messageId,
    ...(message.correlationId ? { 'messaging.message.conversation_id': message.correlationId } : {}),
    ...(message.writtenAt ? { 'shop.outbox.age_ms': Date.now() - message.writtenAt.getTime() } : {}),
  };
}

export interface PublishTrace {
  /** The traceparent each message carries (its publish or create span), in the order given. */
  traceparents: (string | undefined)[];
  /** Ends the spans with each message's outcome (same order). */
  end(results: PromiseSettledResult<unknown>[]): void;
}

/**
 * Spans for messages published together (the relay's batch). One message: a `publish` span, child of
 * the context that wrote it. Several: a `create` span per message (child of its own writer's
 * context, so each order's trace shows its publish) and one `send` span for the batch, linked to
 * every create span, as the conventions do for batch publishing.
 */
export function tracePublish(messages: PublishedMessage[]): PublishTrace {
  if (messages.length === 1) {
    const [message] = messages;
    const span = tracer.startSpan(
      `publish ${message.exchange}`,
      { kind: SpanKind.PRODUCER, attributes: messageAttributes(message, 'send') },
      contextOf(message.traceparent),
    );
    return {
      traceparents: [carried(span, message.traceparent)],
      end: ([result]) => endWith(span, result),
    };
  }
  const creates = messages.map((message) =>
    tracer.startSpan(
      `create ${message.exchange}`,
      { kind: SpanKind.PRODUCER, attributes: messageAttributes(message, 'create') },
      contextOf(message.traceparent),
    ),
  );
  const exchanges = [...new Set(messages.map((message) => message.exchange))];
  const send = tracer.startSpan(
    `send ${exchanges.length === 1 ? exchanges[0] : 'batch'}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        ...RABBITMQ,
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'publish',
        ...(exchanges.length === 1 ? { 'messaging.destination.name': exchanges[0] } : {}),
        'messaging.batch.message_count': messages.length,
      },
      links: creates.map((span) => ({ context: span.spanContext() })),
    },
    ROOT_CONTEXT,
  );
  return {
    traceparents: creates.map((span, i) => carried(span, messages[i].traceparent)),
    end: (results) => {
      creates.forEach((span, i) => endWith(span, results[i]));
      const failed = results.filter((result) => result.status === 'rejected').length;
      if (failed > 0) send.setStatus({ code: SpanStatusCode.ERROR, message: `${failed} of ${results.length} not confirmed` });
      send.end();
    },
  };
}

/** What the consuming side knows of one delivery. */
export interface ConsumedMessage {
  queue: string;
  type: string;
  messageId: string;
  correlationId?: string;
  traceparent?: string;
  /** When the broker took it (the publisher's `x-sent-at`), for the time it waited in the queue. */
  sentAt?: number;
}

export interface ProcessTrace {
  /** Each delivery's per-message span as a traceparent: what the handler passes on to the events it writes. */
  traceparents: (string | undefined)[];
  /** The context to run the handler in: the message's span for a batch of one, the batch's otherwise. */
  context: Context;
  /** Ends every span; `error` when the handler failed (the messages go to retry or dead letter). */
  end(error?: unknown): void;
}

/** What every `process` span says: the system, the operation, the queue. */
const processing = (queue: string): Attributes => ({
  ...RABBITMQ,
  'messaging.operation.type': 'process',
  'messaging.operation.name': 'process',
  'messaging.destination.name': queue,
});

/**
 * Spans for a batch handed to a handler: a `process` span per message, child of the message's
 * context (the order's trace goes on through it), and for more than one message a `process` span
 * for the batch, linked to each message's context and linked from each message span.
 */
export function traceProcess(deliveries: ConsumedMessage[]): ProcessTrace {
  const now = Date.now();
  const queue = deliveries[0]?.queue ?? '';
  const name = `process ${queue}`;
  const batch =
    deliveries.length > 1
      ? tracer.startSpan(
          name,
          {
            kind: SpanKind.CONSUMER,
            attributes: { ...processing(queue), 'messaging.batch.message_count': deliveries.length },
            links: deliveries.flatMap((delivery): Link[] => {
              const linked = trace.getSpanContext(contextOf(delivery.traceparent));
              return linked ? [{ context: linked }] : [];
            }),
          },
          ROOT_CONTEXT,
        )
      : null;
  const spans = deliveries.map((delivery) =>
    tracer.startSpan(
      name,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...processing(delivery.queue),
          'messaging.rabbitmq.destination.routing_key': delivery.type,
          'messaging.message.id': delivery.messageId,
          ...(delivery.correlationId ? { 'messaging.message.conversation_id': delivery.correlationId } : {}),
          ...(delivery.sentAt ? { 'shop.queue.time_ms': Math.max(0, now - delivery.sentAt) } : {}),
        },
        links: batch ? [{ context: batch.spanContext() }] : [],
      },
      contextOf(delivery.traceparent),
    ),
  );
  const active = batch ?? spans[0];
  return {
    traceparents: spans.map((span, i) => carried(span, deliveries[i].traceparent)),
    context: active ? trace.setSpan(context.active(), active) : context.active(),
    end: (error) => {
      for (const span of batch ? [...spans, batch] : spans) {
        if (error !== undefined) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        }
        span.end();
      }
    },
  };
}

/** The traceparent a message carries on: its span's when recorded, else the one it came with. */
function carried(span: Span, fallback: string | undefined): string | undefined {
  return traceparentOf(trace.setSpan(ROOT_CONTEXT, span)) ?? fallback;
}

function endWith(span: Span, result: PromiseSettledResult<unknown> | undefined): void {
  if (result?.status === 'rejected') {
    const reason = result.reason instanceof Error ? result.reason : new Error(String(result.reason));
    span.recordException(reason);
    span.setStatus({ code: SpanStatusCode.ERROR, message: reason.message });
  }
  span.end();
}
