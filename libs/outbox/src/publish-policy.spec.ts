import { BrokerUnavailableError, PublishNackedError, PublishTimeoutError, UnroutableMessageError } from '@shop/messaging';
import { nextRowAttempt, publishVerdicts, type PublishVerdict } from './publish-policy';

const ok: PromiseSettledResult<unknown> = { status: 'fulfilled', value: undefined };
const failed = (reason: Error): PromiseSettledResult<unknown> => ({ status: 'rejected', reason });
const unroutable = failed(new UnroutableMessageError('no queue'));
const nacked = failed(new PublishNackedError('nack'));
const down = failed(new BrokerUnavailableError('not connected'));
const late = failed(new PublishTimeoutError('no confirm'));

describe('publishVerdicts', () => {
  const cases: { name: string; outcomes: PromiseSettledResult<unknown>[]; expected: PublishVerdict[] }[] = [
    { name: 'all confirmed', outcomes: [ok, ok], expected: ['published', 'published'] },
    { name: 'an unroutable row among confirmed ones', outcomes: [unroutable, ok, ok], expected: ['row', 'published', 'published'] },
    { name: 'an unroutable row alone: the broker answered it', outcomes: [unroutable], expected: ['row'] },
    { name: 'a nacked row among confirmed ones', outcomes: [ok, nacked, ok], expected: ['published', 'row', 'published'] },
    { name: 'a nacked row beside an unroutable one (acked too)', outcomes: [nacked, unroutable], expected: ['row', 'row'] },
    { name: 'a batch nacked whole: the broker refuses everything', outcomes: [nacked, nacked], expected: ['broker', 'broker'] },
    { name: 'the broker unreachable', outcomes: [down, down], expected: ['broker', 'broker'] },
    { name: 'the connection lost mid-batch', outcomes: [ok, down, late], expected: ['published', 'broker', 'broker'] },
  ];
  it.each(cases)('$name', ({ outcomes, expected }) => {
    expect(publishVerdicts(outcomes)).toEqual(expected);
  });
});

describe('nextRowAttempt', () => {
  const policy = { maxPublishAttempts: 5, rowBackoffInitialMs: 1_000, rowBackoffMaxMs: 5_000 };
  it.each([
    [1, { park: false, retryInMs: 1_000 }],
    [2, { park: false, retryInMs: 2_000 }],
    [3, { park: false, retryInMs: 4_000 }],
    [4, { park: false, retryInMs: 5_000 }],
    [5, { park: true }],
    [9, { park: true }],
  ])('after attempt %i: %j', (attempt, expected) => {
    expect(nextRowAttempt(attempt, policy)).toEqual(expected);
  });
});
