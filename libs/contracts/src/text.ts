import { z } from 'zod';

/**
 * The rules for text a person types (names, and any other free text in a request body). Each
 * pattern is one reason to refuse, with a message the shopper can act on.
 */
// In a `u` regex a surrogate pair is one code point, so \p{Cs} matches only a lone half, which
// PostgreSQL cannot store and JSON.stringify would turn into U+FFFD (answered as sent, stored altered).
const LONE_SURROGATE = /\p{Cs}/u;
// C0 (NUL, ESC of terminal escape codes, tab, newline...), DEL and C1, and the line and paragraph separators.
const CONTROL_CHARACTER = /[\p{Cc}\u2028\u2029]/u;
// Embedding, override and isolate marks reorder what is displayed ("Trojan Source"); LRM/RLM stay allowed.
const DIRECTION_OVERRIDE = /[\u202A-\u202E\u2066-\u2069]/u;
// What renders as nothing: whitespace, format characters (zero-width space, joiners, BOM...) and other default-ignorables.
const INVISIBLE = /[\s\p{Z}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

/** True when `text` holds at least one character that is displayed. */
export const hasVisibleCharacter = (text: string): boolean => text.replace(INVISIBLE, '').length > 0;

/**
 * A line of human text: refused if it holds a lone surrogate, a control character or a direction
 * override, or nothing visible; otherwise NFC-normalised (one stored form for what looks the same),
 * trimmed, then held to `maxLength`.
 */
export function humanTextSchema(maxLength: number) {
  return z
    .string({ error: 'must be text' })
    .refine((text) => !LONE_SURROGATE.test(text), { message: 'holds a broken character (a lone UTF-16 surrogate); please type it again', abort: true })
    .refine((text) => !CONTROL_CHARACTER.test(text), 'must not contain control characters such as tabs, line breaks or terminal codes')
    .refine((text) => !DIRECTION_OVERRIDE.test(text), 'must not contain text-direction override characters')
    .normalize('NFC')
    .trim()
    .min(1, 'is required')
    .refine((text) => text.length === 0 || hasVisibleCharacter(text), 'must contain visible characters, not only spaces or invisible ones')
    .max(maxLength, `must be at most ${maxLength} characters`);
}

/** An email address: control characters are named as such, then the address is checked and lower-cased. */
export function emailSchema(maxLength: number) {
  return z
    .string({ error: 'must be an email address' })
    .refine((text) => !LONE_SURROGATE.test(text) && !CONTROL_CHARACTER.test(text), { message: 'must not contain control characters', abort: true })
    .trim()
    .max(maxLength, `must be at most ${maxLength} characters`)
    .pipe(z.email('must be a valid email address'))
    .transform((email) => email.toLowerCase());
}
