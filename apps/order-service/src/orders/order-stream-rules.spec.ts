import type { OrderStatusEvent } from '@shop/contracts';
import { admitStream, endsStream, onlyForward } from './order-stream-rules';

type Money = NonNullable<OrderStatusEvent['payment']>['status'] | null;
const event = (status: OrderStatusEvent['status'], payment: Money = null, stockReleased = false): OrderStatusEvent => ({
  orderId: '5d6c1a2b-3e4f-4a5b-8c7d-9e0f1a2b3c4d',
  status,
  statusReason: null,
  payment: payment && { status: payment, reason: null },
  stockReleased,
  cancellable: ['PENDING', 'RESERVED', 'CONFIRMED'].includes(status),
  updatedAt: '2030-05-01T10:00:00.000Z',
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
  const pass = (events: OrderStatusEvent[]) =>
    events.filter(onlyForward()).map((e) => [e.status, e.payment?.status, e.stockReleased && 'released'].filter(Boolean).join(' '));

  it('passes the first status and each change of status, money or stock', () => {
    expect(pass([event('PENDING'), event('RESERVED'), event('CONFIRMED', 'authorized'), event('CONFIRMED', 'captured')])).toEqual([
      'PENDING',
      'RESERVED',
      'CONFIRMED authorized',
      'CONFIRMED captured',
    ]);
    expect(
      pass([event('CONFIRMED', 'authorized'), event('CANCELLED', 'captured'), event('CANCELLED', 'captured', true), event('CANCELLED', 'refunded', true)]),
    ).toEqual(['CONFIRMED authorized', 'CANCELLED captured', 'CANCELLED captured released', 'CANCELLED refunded released']);
  });

  it('drops a repeat (the live change and the read of the same state, or a re-read after LISTEN reconnected)', () => {
    expect(pass([event('PENDING'), event('PENDING'), event('RESERVED'), event('RESERVED')])).toEqual(['PENDING', 'RESERVED']);
  });

  it('drops a stale read that arrives after a live change it predates', () => {
    expect(pass([event('RESERVED'), event('PENDING')])).toEqual(['RESERVED']);
    expect(pass([event('CONFIRMED', 'captured'), event('CONFIRMED', 'authorized')])).toEqual(['CONFIRMED captured']);
    expect(pass([event('CANCELLED', null, true), event('CANCELLED')])).toEqual(['CANCELLED released']);
  });

  it('drops anything after the end of the stream', () => {
    expect(pass([event('REJECTED', null, true), event('PENDING')])).toEqual(['REJECTED released']);
  });
});

describe('endsStream: the stream stays open while news is due without the shopper acting', () => {
  it.each<[string, OrderStatusEvent, boolean]>([
    ['PENDING', event('PENDING'), false],
    ['CONFIRMED, payment authorized (its capture is due)', event('CONFIRMED', 'authorized'), false],
    ['CONFIRMED and captured (a cancel opens a stream of its own)', event('CONFIRMED', 'captured'), true],
    ['CONFIRMED before orders were paid (no payment)', event('CONFIRMED', null), true],
    ['REJECTED, stock not yet given back', event('REJECTED'), false],
    ['REJECTED, stock given back', event('REJECTED', null, true), true],
    ['REJECTED for payment, stock given back', event('REJECTED', 'declined', true), true],
    ['CANCELLED, stock given back, money still held', event('CANCELLED', 'authorized', true), false],
    ['CANCELLED, stock given back, voided', event('CANCELLED', 'voided', true), true],
    ['CANCELLED before any payment, stock given back', event('CANCELLED', null, true), true],
  ])('%s: %s', (_name, status, ends) => {
    expect(endsStream(status)).toBe(ends);
  });
});
