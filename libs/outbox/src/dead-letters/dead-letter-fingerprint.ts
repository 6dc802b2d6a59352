import { createHash } from 'node:crypto';

/**
 * What varies between messages that failed for one cause, each replaced by a placeholder, in this
 * order: quoted values, UUIDs, long hex ids, timestamps, e-mail addresses, numbers.
 */
const VARYING: [RegExp, string][] = [
  [/"[^"]*"|'[^']*'/g, '<str>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b(?=[0-9a-f]*\d)[0-9a-f]{12,}\b/gi, '<hex>'],
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/[^\s<>@"']+@[^\s<>@"']+\.[A-Za-z]{2,}/g, '<email>'],
  [/\d+(?:\.\d+)?/g, '<n>'],
];

/** A reason with what varies from message to message taken out: `failed 5 attempts; last error: stock <str> for order <uuid>`. */
export function normaliseReason(reason: string): string {
  let text = reason;
  for (const [pattern, placeholder] of VARYING) text = text.replace(pattern, placeholder);
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The group of a dead letter: its queue, the class of its error and its normalised reason, hashed.
 * A thousand messages of one bug share it; the same error in another queue does not.
 */
export function deadLetterFingerprint(queue: string, errorClass: string, reason: string): string {
  return createHash('sha256')
    .update(`${queue}\n${errorClass}\n${normaliseReason(reason)}`)
    .digest('hex')
    .slice(0, 16);
}
