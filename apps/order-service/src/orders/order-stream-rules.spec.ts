import type { OrderStatusEvent } from '@shop/contracts';
import { admitStream, onlyForward } from './order-stream-rules';

const event = (status: OrderStatusEvent['status'], updatedAt = '2030-05-01T10:00:00.000Z'): OrderStatusEvent => ({
  orderId: '5d6c1a2b-3e4f-4a5b-8c7d-9e0f1a2b3c4d',
  status,
  statusReason: null,
  updatedAt,
});

describe('admitStream', () => {
  const limits = { maxPerClient: 2, maxTotal: 3 };
  it.each([
    { ofClient: 0, total: 0, expected: 'admitted' },
    { ofClient: 1, total: 2, expected: 'admitted' },
    { ofClient: 2, total: 2, expected: 'client-cap' },
    { ofClient: 2, total: 3, expected: 'client-cap' },
    { ofClient: 0, total: 3, expected: 'total-cap' },
    { ofClient: 1, total: 5, expected: 'total-cap' },
  ])('a client with $ofClient open of $total in all: $expected', ({ ofClient, total, expected }) => {
    expect(admitStream({ ofClient, total }, limits)).toBe(expected);
  });
});

describe('onlyForward', () => {
  const pass = (events: OrderStatusEvent[]) => events.filter(onlyForward()).map((e) => e.status);

  it('passes the first status and each change', () => {
    expect(pass([event('PENDING'), event('CONFIRMED')])).toEqual(['PENDING', 'CONFIRMED']);
  });

  it('drops a repeat (the live change and the read of the same status, or a re-read after LISTEN reconnected)', () => {
    expect(pass([event('PENDING'), event('PENDING'), event('CONFIRMED'), event('CONFIRMED')])).toEqual(['PENDING', 'CONFIRMED']);
  });

  it('drops anything after a final status (a stale read that arrives after the live change)', () => {
    expect(pass([event('REJECTED'), event('PENDING')])).toEqual(['REJECTED']);
    expect(pass([event('CONFIRMED'), event('REJECTED')])).toEqual(['CONFIRMED']);
  });
});
