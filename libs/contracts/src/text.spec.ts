import { createOrderRequestSchema } from './orders';
import { emailSchema, humanTextSchema } from './text';

const name = humanTextSchema(120);
const messageFor = (input: unknown) => {
  const result = name.safeParse(input);
  return result.success ? null : result.error.issues.map((issue) => issue.message);
};

describe('humanTextSchema', () => {
  it.each([
    ['a plain name, trimmed', '  Ada Lovelace ', 'Ada Lovelace'],
    ['a decomposed ë, stored composed (NFC)', 'Zoe\u0308', 'Zo\u00eb'],
    ['an emoji sequence held by zero-width joiners', 'Ada 👩\u200d💻', 'Ada 👩\u200d💻'],
    ['a Persian name with a zero-width non-joiner', 'می\u200cخواهم', 'می\u200cخواهم'],
    ['a Hebrew name with a right-to-left mark', '\u200fדוד', '\u200fדוד'],
    ['an astral character (a surrogate pair, not a lone half)', '𝒜da', '𝒜da'],
  ])('accepts %s', (_case, input, stored) => {
    expect(name.parse(input)).toBe(stored);
  });

  it.each([
    ['NUL', '\u0000', /control characters/],
    ['a NUL inside', 'Ada\u0000Lovelace', /control characters/],
    ['a terminal escape code', 'Ada\u001b[31m', /control characters/],
    ['DEL', 'Ada\u007f', /control characters/],
    ['a C1 control (CSI)', 'Ada\u009b2J', /control characters/],
    ['a tab', 'Ada\tLovelace', /control characters/],
    ['a line separator', 'Ada\u2028Lovelace', /control characters/],
    ['a right-to-left override', 'Ada\u202egnp.exe', /text-direction/],
    ['a direction isolate', '\u2066Ada\u2069', /text-direction/],
    ['a lone high surrogate', 'Ada \ud800', /broken character/],
    ['a lone low surrogate', '\udc00', /broken character/],
    ['spaces only', '   ', /is required/],
    ['zero-width spaces only', '\u200b\u200b', /visible characters/],
    ['a BOM, a word joiner and a soft hyphen', '\ufeff\u2060\u00ad', /visible characters/],
    ['an ideographic space and a Hangul filler', '\u3000\u3164', /visible characters|is required/],
    ['121 characters', 'a'.repeat(121), /at most 120/],
    ['a number', 42, /must be text/],
  ])('refuses %s', (_case, input, message) => {
    expect(messageFor(input)).toEqual([expect.stringMatching(message)]);
  });

  it('counts the length after normalising, so a composed name that fits is accepted', () => {
    expect(name.safeParse('e\u0301'.repeat(120)).success).toBe(true);
  });
});

describe('emailSchema', () => {
  const email = emailSchema(254);
  it.each([
    ['NUL', 'ada\u0000@example.com', /control characters/],
    ['an escape code', '\u001b[2Jada@example.com', /control characters/],
    ['a lone surrogate', 'ada\ud800@example.com', /control characters/],
    ['no domain', 'ada@', /valid email/],
  ])('refuses %s', (_case, input, message) => {
    const result = email.safeParse(input);
    expect(result.success ? [] : result.error.issues.map((issue) => issue.message)).toEqual([expect.stringMatching(message)]);
  });

  it('takes a valid address, trimmed and lower-cased', () => {
    expect(email.parse(' Ada@Example.COM ')).toBe('ada@example.com');
  });
});

describe('the text rule in an order', () => {
  it('names customer.name in the issue path', () => {
    const result = createOrderRequestSchema.safeParse({
      customer: { name: '\u200b', email: 'a@b.co' },
      lines: [{ sku: 'MUG-001', quantity: 1 }],
      payment: { token: 'tok_success' },
    });
    expect(result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'))).toEqual(['customer.name']);
  });
});
