import { UnprocessableMessageError } from './errors';
import { settlementFor, type HandlingOutcome, type RetryCounters, type Settlement } from './failure-policy';

/** Backoff 1 s, 5 s, 30 s; dead-lettered after the fifth attempt (the shop's defaults). */
const QUEUE = { retryDelaysMs: [1_000, 5_000, 30_000], maxAttempts: 5 };

const failed = (message: string): HandlingOutcome => ({ kind: 'failed', error: new Error(message), transient: false });
const outage: HandlingOutcome = {
  kind: 'failed',
  error: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
  transient: true,
};
const at = (attempt: number, transientFailures = 0): RetryCounters => ({ attempt, transientFailures });
const retry = (delayMs: number, next: RetryCounters, lastError: string, counted = true): Settlement => ({ action: 'retry', delayMs, counted, next, lastError });

describe('settlementFor: what becomes of a handled message', () => {
  it.each<[string, HandlingOutcome, RetryCounters, Settlement]>([
    ['committed: acked', { kind: 'committed' }, at(1), { action: 'ack' }],
    // The ack itself may then fail (its channel closed): the broker redelivers, the inbox drops the copy; never a retry copy.
    ['committed on its last attempt, whatever its ack then does: acked, not retried', { kind: 'committed' }, at(5, 3), { action: 'ack' }],

    ['ordinary error, attempt 1: retried after the first delay', failed('boom'), at(1), retry(1_000, at(2), 'boom')],
    ['ordinary error, attempt 2: retried after the second delay', failed('boom'), at(2), retry(5_000, at(3), 'boom')],
    ['ordinary error, attempt 3: retried after the third delay', failed('boom'), at(3), retry(30_000, at(4), 'boom')],
    ['ordinary error, attempt 4: past the ladder, retried after its last delay', failed('boom'), at(4), retry(30_000, at(5), 'boom')],
    ['ordinary error, attempt 4 after outages: the outages do not shorten its delay', failed('boom'), at(4, 7), retry(30_000, at(5, 7), 'boom')],
    [
      'ordinary error on the last attempt: dead-lettered with the last error',
      failed('boom'),
      at(5),
      { action: 'dead-letter', reason: 'failed 5 attempts; last error: boom', errorClass: 'Error' },
    ],
    [
      'ordinary error past the last attempt (maxAttempts lowered): dead-lettered',
      failed('boom'),
      at(9),
      { action: 'dead-letter', reason: 'failed 9 attempts; last error: boom', errorClass: 'Error' },
    ],

    [
      'transient error, first outage: retried after the first delay, attempt not counted',
      outage,
      at(1),
      retry(1_000, at(1, 1), 'connect ECONNREFUSED 127.0.0.1:5432', false),
    ],
    ['transient error, third outage: backs off to the third delay', outage, at(1, 2), retry(30_000, at(1, 3), 'connect ECONNREFUSED 127.0.0.1:5432', false)],
    [
      'transient error on the last attempt: retried, never dead-lettered',
      outage,
      at(5, 40),
      retry(30_000, at(5, 41), 'connect ECONNREFUSED 127.0.0.1:5432', false),
    ],
    [
      'transient error on attempt 3: backs off by outages, not by attempts',
      outage,
      at(3),
      retry(1_000, at(3, 1), 'connect ECONNREFUSED 127.0.0.1:5432', false),
    ],

    [
      'unprocessable (its handler says it can never succeed), attempt 1: dead-lettered at once with its message',
      { kind: 'failed', error: new UnprocessableMessageError('550 5.1.1 <x@example.com>: mailbox unavailable'), transient: false },
      at(1),
      { action: 'dead-letter', reason: '550 5.1.1 <x@example.com>: mailbox unavailable', errorClass: 'UnprocessableMessageError' },
    ],

    [
      'malformed JSON: dead-lettered at once',
      { kind: 'undecodable', reason: 'malformed JSON: Unexpected token' },
      at(1),
      { action: 'dead-letter', reason: 'malformed JSON: Unexpected token', errorClass: 'UndecodableMessage' },
    ],
    [
      'schema failure: dead-lettered at once, even with attempts left',
      { kind: 'undecodable', reason: 'schema validation failed for "order.placed": lines: Required' },
      at(2),
      { action: 'dead-letter', reason: 'schema validation failed for "order.placed": lines: Required', errorClass: 'UndecodableMessage' },
    ],
    [
      'no handler for its type: dead-lettered at once',
      { kind: 'undecodable', reason: 'no handler for message type "x"' },
      at(1),
      { action: 'dead-letter', reason: 'no handler for message type "x"', errorClass: 'UndecodableMessage' },
    ],
  ])('%s', (_case, outcome, counters, expected) => {
    expect(settlementFor(outcome, counters, QUEUE)).toEqual(expected);
  });

  it('describes a thrown non-Error by its message, or as a string', () => {
    expect(settlementFor({ kind: 'failed', error: { message: 'plain object' }, transient: false }, at(1), QUEUE)).toMatchObject({ lastError: 'plain object' });
    expect(settlementFor({ kind: 'failed', error: 'a string', transient: false }, at(5), QUEUE)).toEqual({
      action: 'dead-letter',
      reason: 'failed 5 attempts; last error: a string',
      errorClass: 'Error',
    });
  });

  it("names the error's class for grouping: its name when it is an identifier, else Error", () => {
    class QueryFailedError extends Error {
      override name = 'QueryFailedError';
    }
    const thrown = (error: unknown): HandlingOutcome => ({ kind: 'failed', error, transient: false });
    expect(settlementFor(thrown(new QueryFailedError('relation "stock" does not exist')), at(5), QUEUE)).toMatchObject({ errorClass: 'QueryFailedError' });
    expect(settlementFor(thrown({ name: 'not an identifier; at all', message: 'x' }), at(5), QUEUE)).toMatchObject({ errorClass: 'Error' });
  });

  it('keeps reasons short enough for a header', () => {
    const long = 'x'.repeat(5_000);
    const retried = settlementFor(failed(long), at(1), QUEUE);
    const dead = settlementFor(failed(long), at(5), QUEUE);
    const poison = settlementFor({ kind: 'undecodable', reason: long }, at(1), QUEUE);
    expect(retried.action === 'retry' && retried.lastError.length).toBe(1000);
    expect(dead.action === 'dead-letter' && dead.reason.length).toBe(1000);
    expect(poison.action === 'dead-letter' && poison.reason.length).toBe(1000);
  });
});
