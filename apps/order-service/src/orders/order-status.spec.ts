import { isFinal, nextStatus } from './order-status';

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
