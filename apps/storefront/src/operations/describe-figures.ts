import type { SystemStatusView } from '@shop/contracts';
import { plural } from '../format';

/** The outbox rows not yet published, and how long the oldest has waited. */
export function describeBacklog(outbox: SystemStatusView['outbox']): string {
  if (outbox.backlog === 0) return '0';
  const age = outbox.oldestAgeSeconds === null ? '' : `, oldest ${Math.round(outbox.oldestAgeSeconds)} s`;
  return `${plural(outbox.backlog, 'event')}${age}`;
}

/** A figure the broker could not give (it did not answer) reads "unknown", not 0. */
export function describeCount(count: number | null): string {
  return count === null ? 'unknown' : String(count);
}
