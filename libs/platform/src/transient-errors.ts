/** SQLSTATE classes and codes that say "the database is unavailable or busy", not "this message is bad". */
// 57014: a statement ran past statement_timeout; 25P03 and 57P05: a session ended for idling too long.
const TRANSIENT_SQLSTATE = /^(08|53|57P0[1-35]|57014|25P03|40001|40P01)/;
const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
// "Query read timeout": pg's query_timeout, no answer over a link that may be frozen.
const TRANSIENT_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i;

/**
 * True when a handler failed because its database is unreachable, restarting or briefly
 * overloaded (or a transaction lost a serialization race). Such a failure says nothing about the
 * message: the consumer retries it without counting an attempt, so a long outage never sends good
 * messages to the dead-letter queue.
 */
export function isTransientDatabaseError(err: unknown): boolean {
  for (
    let current = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown } | undefined, depth = 0;
    current && depth < 4;
    depth++
  ) {
    const code = typeof current.code === 'string' ? current.code : '';
    if (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NODE_CODES.has(code)) return true;
    if (typeof current.message === 'string' && TRANSIENT_MESSAGES.test(current.message)) return true;
    current = (current.driverError ?? current.cause) as typeof current;
  }
  return false;
}
