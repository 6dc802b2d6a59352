import { contradicts, isFinal, nextStatus } from './order-status';

describe('the order state machine', () => {
  it('moves a pending order to confirmed or rejected', () => {
    expect(nextStatus('PENDING', 'stock.reserved')).toBe('CONFIRMED');
    expect(nextStatus('PENDING', 'stock.rejected')).toBe('REJECTED');
  });

  it('ignores any event for an order that is already final', () => {
    for (const status of ['CONFIRMED', 'REJECTED'] as const) {
      expect(nextStatus(status, 'stock.reserved')).toBeNull();
      expect(nextStatus(status, 'stock.rejected')).toBeNull();
      expect(isFinal(status)).toBe(true);
    }
    expect(isFinal('PENDING')).toBe(false);
  });
});

describe('a result for an order', () => {
  it.each([
    ['PENDING', 'stock.reserved', 'CONFIRMED', false],
    ['PENDING', 'stock.rejected', 'REJECTED', false],
    ['CONFIRMED', 'stock.reserved', null, false],
    ['CONFIRMED', 'stock.rejected', null, true],
    ['REJECTED', 'stock.rejected', null, false],
    ['REJECTED', 'stock.reserved', null, true],
  ] as const)('%s + %s: next status %s, contradicts: %s', (current, event, next, contradicting) => {
    expect(nextStatus(current, event)).toBe(next);
    expect(contradicts(current, event)).toBe(contradicting);
  });
});
