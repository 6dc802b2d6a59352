import type { ConsumeMessage } from 'amqplib';
import type { z } from 'zod';
import type { Delivery } from './batch-event-pattern';
import type { RetryCounters } from './failure-policy';
import { HEADERS } from './headers';

/** Schema issues named in a dead-letter reason; the rest are counted. */
const MAX_REPORTED_ISSUES = 5;

export type Decoded = { ok: true; delivery: Delivery } | { ok: false; reason: string };

export interface DecodeRules {
  /** Payload schema of a message type; undefined for a type nobody declared. */
  schemaFor: (type: string, queue: string) => z.ZodType | undefined;
  hasHandler: (type: string) => boolean;
}

/** A message as its handler sees it, or why it can never be handled (the dead-letter reason). */
export function decodeMessage(message: ConsumeMessage, queue: string, rules: DecodeRules): Decoded {
  const { properties } = message;
  const type = properties.type ?? message.fields.routingKey;
  if (!properties.messageId) return { ok: false, reason: 'message has no messageId' };
  let payload: unknown;
  try {
    payload = JSON.parse(message.content.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `malformed JSON: ${(err as Error).message}` };
  }
  const schema = rules.schemaFor(type, queue);
  if (!schema) return { ok: false, reason: `unknown message type "${type}"` };
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    // A few issues name the fault; 100,000 of them would not fit in a header.
    const { issues: all } = parsed.error;
    const issues = all.slice(0, MAX_REPORTED_ISSUES).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    if (all.length > MAX_REPORTED_ISSUES) issues.push(`and ${all.length - MAX_REPORTED_ISSUES} more`);
    return { ok: false, reason: `schema validation failed for "${type}": ${issues.join('; ')}` };
  }
  if (!rules.hasHandler(type)) return { ok: false, reason: `no handler for message type "${type}"` };

  const headers = properties.headers ?? {};
  const header = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string) : undefined);
  return {
    ok: true,
    delivery: {
      payload: parsed.data,
      messageId: properties.messageId as string,
      type,
      queue,
      attempt: retryCountersOf(message).attempt,
      correlationId: header(HEADERS.correlationId) ?? properties.correlationId,
      traceparent: header(HEADERS.traceparent),
      sentAt: typeof headers[HEADERS.sentAt] === 'number' ? (headers[HEADERS.sentAt] as number) : undefined,
    },
  };
}

/** The counters a retry copy carries in its headers; a first delivery has none. */
export function retryCountersOf(message: ConsumeMessage): RetryCounters {
  const headers = message.properties.headers ?? {};
  return { attempt: Number(headers[HEADERS.attempt] ?? 1), transientFailures: Number(headers[HEADERS.transientFailures] ?? 0) };
}
