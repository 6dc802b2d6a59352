import { UnprocessableMessageError } from './errors';
import type { QueueSpec } from './topology';

/** What became of one delivery. */
export type HandlingOutcome =
  /** The handler resolved: its transaction committed. */
  | { kind: 'committed' }
  /** Not JSON, fails its schema, or no handler takes its type: it can never succeed. */
  | { kind: 'undecodable'; reason: string }
  /** The handler threw; `transient` errors say nothing about the message (its database is down). */
  | { kind: 'failed'; error: unknown; transient: boolean };

/** Where a message stands, from its headers: deliveries so far and outages that were not counted. */
export interface RetryCounters {
  attempt: number;
  transientFailures: number;
}

/** What to do with the message, always ending in an ack of this delivery. */
export type Settlement =
  | { action: 'ack' }
  /** Copy it to the retry queue of `delayMs` with these counters, then ack. */
  | { action: 'retry'; delayMs: number; counted: boolean; next: RetryCounters; lastError: string }
  /** Copy it to the dead-letter queue with `reason` and the class of the error, then ack. */
  | { action: 'dead-letter'; reason: string; errorClass: string };

/** The error class of a message that can never be decoded (not JSON, fails its schema, no handler). */
export const UNDECODABLE = 'UndecodableMessage';

/** Longest reason header: headers travel in one AMQP frame, so an unbounded one cannot be forwarded at all. */
const MAX_REASON_LENGTH = 1000;

/**
 * The retry and dead-letter rule. A committed message is acked, even if that ack then fails (the
 * broker redelivers and the inbox drops the copy), so a commit never becomes a retry. An undecodable
 * message is dead-lettered at once, and so is one whose handler threw UnprocessableMessageError
 * (with that error's message as the reason). A transient failure is retried without counting an attempt,
 * walking the backoff ladder by outages so far. Any other failure is retried with the delay of its
 * attempt until `maxAttempts`, then dead-lettered with its last error.
 */
export function settlementFor(outcome: HandlingOutcome, counters: RetryCounters, queue: Pick<QueueSpec, 'retryDelaysMs' | 'maxAttempts'>): Settlement {
  if (outcome.kind === 'committed') return { action: 'ack' };
  if (outcome.kind === 'undecodable') return { action: 'dead-letter', reason: outcome.reason.slice(0, MAX_REASON_LENGTH), errorClass: UNDECODABLE };

  const reason = errorMessage(outcome.error);
  const errorClass = errorClassOf(outcome.error);
  if (outcome.error instanceof UnprocessableMessageError && !outcome.transient)
    return { action: 'dead-letter', reason: reason.slice(0, MAX_REASON_LENGTH), errorClass };
  const { attempt, transientFailures } = counters;
  if (!outcome.transient && attempt >= queue.maxAttempts) {
    return { action: 'dead-letter', reason: `failed ${attempt} attempts; last error: ${reason}`.slice(0, MAX_REASON_LENGTH), errorClass };
  }
  const step = outcome.transient ? transientFailures : attempt - 1;
  const delays = queue.retryDelaysMs;
  return {
    action: 'retry',
    delayMs: delays[Math.min(step, delays.length - 1)],
    counted: !outcome.transient,
    next: outcome.transient ? { attempt, transientFailures: transientFailures + 1 } : { attempt: attempt + 1, transientFailures },
    lastError: reason.slice(0, MAX_REASON_LENGTH),
  };
}

/** `Error`, `QueryFailedError`...: what kind of failure, for grouping dead letters. */
export function errorClassOf(err: unknown): string {
  const name = err instanceof Error ? err.name : typeof err === 'object' && err && 'name' in err ? String((err as { name: unknown }).name) : '';
  return /^[A-Za-z_$][\w$]{0,99}$/.test(name) ? name : 'Error';
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
