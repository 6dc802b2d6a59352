import { PublishNackedError, UnroutableMessageError } from '@shop/messaging';

/**
 * What one publish of a batch says: `published`; `row`, this row failed (the broker answered, and
 * refused it), so it waits out its own backoff and the others go on; `broker`, the broker or the
 * connection failed, which says nothing about the row, so the relay backs off as a whole.
 */
export type PublishVerdict = 'published' | 'row' | 'broker';

/**
 * An unroutable message (returned, then acked) is the row's fault. A nack is the row's fault when the
 * broker acked another message of the batch (the connection works); a batch nacked whole is the
 * broker's, as is a connection lost, a confirm that never came, or anything else.
 */
export function publishVerdicts(outcomes: PromiseSettledResult<unknown>[]): PublishVerdict[] {
  const acked = outcomes.some((outcome) => outcome.status === 'fulfilled' || outcome.reason instanceof UnroutableMessageError);
  return outcomes.map((outcome) => {
    if (outcome.status === 'fulfilled') return 'published';
    if (outcome.reason instanceof UnroutableMessageError) return 'row';
    if (outcome.reason instanceof PublishNackedError && acked) return 'row';
    return 'broker';
  });
}

/** After a row's `attempt`-th failed attempt: park it, or try it again in `retryInMs` (doubling from `initialMs` up to `maxMs`). */
export function nextRowAttempt(
  attempt: number,
  policy: { maxPublishAttempts: number; rowBackoffInitialMs: number; rowBackoffMaxMs: number },
): { park: true } | { park: false; retryInMs: number } {
  if (attempt >= policy.maxPublishAttempts) return { park: true };
  return { park: false, retryInMs: Math.min(policy.rowBackoffMaxMs, policy.rowBackoffInitialMs * 2 ** (attempt - 1)) };
}
