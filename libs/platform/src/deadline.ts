/**
 * A call across a process boundary that did not answer in time. Its code is ETIMEDOUT, so a
 * database call that ran out of time counts as the database being unavailable (transient-errors.ts).
 */
export class DeadlineExceededError extends Error {
  override name = 'DeadlineExceededError';
  readonly code = 'ETIMEDOUT';
}

/**
 * Settles as `work` does, or rejects with DeadlineExceededError after `ms`. `work` itself goes on
 * (its own timeouts end it); the caller just stops waiting for it.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
