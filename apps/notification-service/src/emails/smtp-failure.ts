/**
 * What a failed send means, from nodemailer's error (its `code`, the SMTP `responseCode` and the
 * `command` that got it):
 * - `outage`: the mail server is unreachable, slow, busy (4xx) or refuses our own side (our
 *   credentials, our sender): no fault of the message. Retried with backoff, never counted, never
 *   dead-lettered; the email goes out once the server (or its configuration) is back.
 * - `refused`: a permanent (5xx) refusal of this email's recipient or content; sending it again
 *   cannot succeed. Logged as refused and dead-lettered with the reply.
 * - `unknown`: anything else (a bug, a message nodemailer will not build): retried and counted,
 *   then dead-lettered, as any other failure.
 */
export type SmtpFailure = 'outage' | 'refused' | 'unknown';

interface SmtpError {
  code?: unknown;
  responseCode?: unknown;
  command?: unknown;
  response?: unknown;
}

/** Failures before or around the conversation: the connection, TLS, the greeting, a timeout, our login. */
const OUTAGE_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROTOCOL',
  'EAUTH',
  'ENOAUTH',
  'EMAXLIMIT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
]);
/** The commands whose permanent refusal is about this email, not about us. */
const COMMANDS_OF_THE_EMAIL = new Set(['RCPT TO', 'DATA']);

export function classifySmtpFailure(err: unknown): SmtpFailure {
  if (!err || typeof err !== 'object') return 'unknown';
  const { code, responseCode, command } = err as SmtpError;
  if (typeof responseCode === 'number') {
    // 503 is "bad sequence of commands": the conversation went wrong, not the recipient.
    if (responseCode >= 400 && responseCode < 500) return 'outage';
    if (responseCode >= 500 && responseCode < 600 && responseCode !== 503 && typeof command === 'string' && COMMANDS_OF_THE_EMAIL.has(command))
      return 'refused';
    if (responseCode >= 500 && responseCode < 600) return 'outage';
  }
  return typeof code === 'string' && OUTAGE_CODES.has(code) ? 'outage' : 'unknown';
}

/** For createServiceApp: an SMTP outage is retried like a database outage. */
export const isSmtpOutage = (err: unknown): boolean => classifySmtpFailure(err) === 'outage';

/** The server's reply line(s), e.g. `550 5.1.1 <x@example.com>: Recipient address rejected`; else the error's message. */
export function smtpReplyOf(err: unknown): string {
  const { response } = (err ?? {}) as SmtpError;
  return typeof response === 'string' && response !== '' ? response : err instanceof Error ? err.message : String(err);
}
