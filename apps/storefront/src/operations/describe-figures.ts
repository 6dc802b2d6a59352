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

/** A span in the largest units an operator reads at a glance: "0.4 s", "42 s", "7 min", "3 h 5 min", "2 d". */
export function describeDuration(seconds: number): string {
  if (seconds < 10) return `${Math.max(0, Number(seconds.toFixed(1)))} s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d`;
}

/** How long ago an instant was, as describeDuration says it. */
export function describeAge(iso: string, now = Date.now()): string {
  return `${describeDuration((now - Date.parse(iso)) / 1000)} ago`;
}
