import { createOrderRequestSchema, idempotencyKeySchema } from './orders';

const valid = { customer: { name: ' Ada ', email: ' Ada@Example.COM ' }, lines: [{ sku: 'MUG-001', quantity: 2 }], payment: { token: 'tok_success' } };
const fieldsOf = (input: unknown) => {
  const result = createOrderRequestSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
};

describe('createOrderRequestSchema', () => {
  it('normalises a valid order: trimmed name, lower-cased email', () => {
    expect(createOrderRequestSchema.parse(valid)).toEqual({
      customer: { name: 'Ada', email: 'ada@example.com' },
      lines: [{ sku: 'MUG-001', quantity: 2 }],
      payment: { token: 'tok_success' },
    });
  });

  it.each([
    ['no payment', { customer: valid.customer, lines: valid.lines }, 'payment'],
    ['a card number instead of a token', { ...valid, payment: { token: '4242424242424242' } }, 'payment.token'],
    ['a card number beside the token', { ...valid, payment: { token: 'tok_success', number: '4242424242424242' } }, 'payment'],
  ])('refuses %s, naming %s', (_, input, field) => {
    expect(fieldsOf(input)).toEqual([field]);
  });

  it.each([
    ['a quantity of 0', { ...valid, lines: [{ sku: 'MUG-001', quantity: 0 }] }, 'lines.0.quantity'],
    ['a quantity over 100', { ...valid, lines: [{ sku: 'MUG-001', quantity: 101 }] }, 'lines.0.quantity'],
    ['a fractional quantity', { ...valid, lines: [{ sku: 'MUG-001', quantity: 2.5 }] }, 'lines.0.quantity'],
    ['a lower-case sku', { ...valid, lines: [{ sku: 'mug-001', quantity: 1 }] }, 'lines.0.sku'],
    [
      'the same sku twice',
      {
        ...valid,
        lines: [
          { sku: 'MUG-001', quantity: 1 },
          { sku: 'MUG-001', quantity: 1 },
        ],
      },
      'lines.1.sku',
    ],
    ['51 lines', { ...valid, lines: Array.from({ length: 51 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 })) }, 'lines'],
    ['a price from the client', { ...valid, lines: [{ sku: 'MUG-001', quantity: 1, unitPriceCents: 1 }] }, 'lines.0'],
    ['an invalid email', { ...valid, customer: { name: 'Ada', email: 'ada@' } }, 'customer.email'],
  ])('refuses %s, naming %s', (_name, input, field) => {
    expect(fieldsOf(input)).toContain(field);
  });
});

describe('idempotencyKeySchema', () => {
  it('takes printable keys up to 128 characters and refuses the rest', () => {
    expect(idempotencyKeySchema.safeParse('8f14e45f-ceea-467a-9af0-2b5f1d3c8a11').success).toBe(true);
    expect(idempotencyKeySchema.safeParse('').success).toBe(false);
    expect(idempotencyKeySchema.safeParse('with space').success).toBe(false);
    expect(idempotencyKeySchema.safeParse('k'.repeat(129)).success).toBe(false);
    expect(idempotencyKeySchema.safeParse(undefined).success).toBe(false);
  });
});
