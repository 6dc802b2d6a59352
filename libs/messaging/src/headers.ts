import { randomBytes } from 'node:crypto';

/** Message headers this library reads or writes. */
export const HEADERS = {
  correlationId: 'x-correlation-id',
  traceparent: 'traceparent',
  /** Deliveries so far, counting the first; set when a failed message is sent to a retry queue. */
  attempt: 'x-attempt',
  /** Failures that were not the message's fault (see ConsumerOptions.isTransient); not attempts. */
  transientFailures: 'x-transient-failures',
  lastError: 'x-last-error',
  /** Why a message is in a dead-letter queue. */
  deadLetterReason: 'x-dead-letter-reason',
  deadLetteredFrom: 'x-dead-lettered-from',
  /** The class of the error that dead-lettered it (`QueryFailedError`, `UndecodableMessage`...), for grouping. */
  errorClass: 'x-error-class',
  /** When the message first failed (ISO 8601), kept through its retries; and when it was dead-lettered. */
  firstFailedAt: 'x-first-failed-at',
  deadLetteredAt: 'x-dead-lettered-at',
  /** On a replay by an operator: the dead letter it replays, how many replays so far, and who asked. */
  replayOf: 'x-replay-of',
  replayCount: 'x-replay-count',
  replayedBy: 'x-replayed-by',
  /** When the publisher handed the message to the broker (ms since the epoch): its time in the queue starts there. */
  sentAt: 'x-sent-at',
} as const;

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** `value` when it is a well-formed W3C traceparent (version 00), else undefined. */
export function validTraceparent(value: unknown): string | undefined {
  return typeof value === 'string' && TRACEPARENT.test(value) ? value : undefined;
}

/** A W3C traceparent continuing `parent`'s trace with a new span, or starting a new trace. */
export function childTraceparent(parent?: string): string {
  const match = parent ? TRACEPARENT.exec(parent) : null;
  const traceId = match?.[1] ?? randomBytes(16).toString('hex');
  return `00-${traceId}-${randomBytes(8).toString('hex')}-${match?.[3] ?? '01'}`;
}
