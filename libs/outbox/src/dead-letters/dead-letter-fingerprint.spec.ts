import { deadLetterFingerprint, normaliseReason } from './dead-letter-fingerprint';

describe('dead-letter fingerprints', () => {
  it.each([
    [
      'the attempts and the order id of one failure',
      'failed 5 attempts; last error: could not reserve for order 0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
      'failed <n> attempts; last error: could not reserve for order <uuid>',
    ],
    ['a quoted sku and a quantity', 'insufficient stock for "MUG-001": wanted 3, have 2', 'insufficient stock for <str>: wanted <n>, have <n>'],
    ['an address', '550 5.1.1 <ada@example.com>: mailbox unavailable', '<n> <n>.<n> <<email>>: mailbox unavailable'],
    ['a timestamp and a long hex id', 'lock timeout at 2026-12-06T03:04:05.123Z on tx 9f8e7d6c5b4a3f2e1d', 'lock timeout at <time> on tx <hex>'],
    ['white space', '  relation   "stock"\n does not exist ', 'relation <str> does not exist'],
  ])('takes out what varies: %s', (_case, reason, normalised) => {
    expect(normaliseReason(reason)).toBe(normalised);
  });

  it('groups the failures of one cause and keeps other queues, classes and causes apart', () => {
    const one = deadLetterFingerprint('inventory.order-placed', 'QueryFailedError', 'failed 5 attempts; last error: relation "stock" does not exist (order 1)');
    expect(
      deadLetterFingerprint('inventory.order-placed', 'QueryFailedError', 'failed 6 attempts; last error: relation "stock2" does not exist (order 2)'),
    ).toBe(one);
    expect(
      deadLetterFingerprint('orders.stock-results', 'QueryFailedError', 'failed 5 attempts; last error: relation "stock" does not exist (order 1)'),
    ).not.toBe(one);
    expect(deadLetterFingerprint('inventory.order-placed', 'Error', 'failed 5 attempts; last error: relation "stock" does not exist (order 1)')).not.toBe(one);
    expect(deadLetterFingerprint('inventory.order-placed', 'QueryFailedError', 'failed 5 attempts; last error: permission denied for table stock')).not.toBe(
      one,
    );
    expect(one).toMatch(/^[0-9a-f]{16}$/);
  });
});
