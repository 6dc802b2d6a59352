import { applySagaEvents, type OrderSagaEvent, type SagaOrder } from './apply-saga-events';

const A = '0a000000-0000-4000-8000-000000000000';
const B = '0b000000-0000-4000-8000-000000000000';
const UNKNOWN = '0f000000-0000-4000-8000-000000000000';

const pending: SagaOrder = { status: 'PENDING', statusReason: null, payment: null, paymentReason: null, stockReleased: false };
const reserved: SagaOrder = { ...pending, status: 'RESERVED' };
const confirmed: SagaOrder = { ...pending, status: 'CONFIRMED', payment: 'authorized' };
const rejected: SagaOrder = { ...pending, status: 'REJECTED', statusReason: 'MUG-001 is out of stock' };

const on = (orderId: string, type: OrderSagaEvent['type'], reason?: string): OrderSagaEvent => ({ orderId, type, reason });

describe('applySagaEvents', () => {
  it.each<{ name: string; orders: [string, SagaOrder][]; events: OrderSagaEvent[]; expected: ReturnType<typeof applySagaEvents<OrderSagaEvent>> }>([
    {
      name: 'a reservation then an authorization in one batch: each event sees the one before',
      orders: [[A, pending]],
      events: [on(A, 'stock.reserved'), on(A, 'payment.authorized')],
      expected: {
        changes: new Map([[A, { ...pending, status: 'CONFIRMED', payment: 'authorized' }]]),
        publish: [
          { orderId: A, type: 'order.reserved' },
          { orderId: A, type: 'order.confirmed' },
        ],
        ignored: [],
      },
    },
    {
      name: 'a declined payment rejects with the provider reason and cause payment',
      orders: [[A, reserved]],
      events: [on(A, 'payment.declined', 'Your card was declined.')],
      expected: {
        changes: new Map([
          [
            A,
            {
              status: 'REJECTED',
              statusReason: 'payment declined: Your card was declined.',
              payment: 'declined',
              paymentReason: 'Your card was declined.',
              stockReleased: false,
            },
          ],
        ]),
        publish: [{ orderId: A, type: 'order.rejected', cause: 'payment', reason: 'payment declined: Your card was declined.' }],
        ignored: [],
      },
    },
    {
      name: 'a cancel of a confirmed order says it came from CONFIRMED with money held; a late capture is still recorded',
      orders: [[A, confirmed]],
      events: [on(A, 'cancel'), on(A, 'payment.captured'), on(A, 'cancel')],
      expected: {
        changes: new Map([[A, { ...confirmed, status: 'CANCELLED', statusReason: 'cancelled by the shopper', payment: 'captured' }]]),
        publish: [{ orderId: A, type: 'order.cancelled', previousStatus: 'CONFIRMED', paymentHeld: true }],
        ignored: [{ event: on(A, 'cancel'), reason: 'repeat', status: 'CANCELLED' }],
      },
    },
    {
      name: 'a release keeps the rejection reason; a second release and an unknown order change nothing',
      orders: [
        [A, rejected],
        [B, pending],
      ],
      events: [on(A, 'stock.released'), on(A, 'stock.released'), on(UNKNOWN, 'stock.reserved'), on(B, 'stock.rejected', 'TEE-002 is out of stock')],
      expected: {
        changes: new Map([
          [A, { ...rejected, stockReleased: true }],
          [B, { ...pending, status: 'REJECTED', statusReason: 'TEE-002 is out of stock' }],
        ]),
        publish: [{ orderId: B, type: 'order.rejected', cause: 'stock', reason: 'TEE-002 is out of stock' }],
        ignored: [
          { event: on(A, 'stock.released'), reason: 'repeat', status: 'REJECTED' },
          { event: on(UNKNOWN, 'stock.reserved'), reason: 'unknown-order', status: null },
        ],
      },
    },
    {
      name: 'a cancel before the stock answer: the late reservation is a counted no-op',
      orders: [[A, pending]],
      events: [on(A, 'cancel', 'changed my mind'), on(A, 'stock.reserved')],
      expected: {
        changes: new Map([[A, { ...pending, status: 'CANCELLED', statusReason: 'cancelled by the shopper: changed my mind' }]]),
        publish: [{ orderId: A, type: 'order.cancelled', previousStatus: 'PENDING', paymentHeld: false }],
        ignored: [{ event: on(A, 'stock.reserved'), reason: 'late', status: 'CANCELLED' }],
      },
    },
    {
      name: 'a cancel of a rejected order is refused and changes nothing',
      orders: [[A, rejected]],
      events: [on(A, 'cancel')],
      expected: { changes: new Map(), publish: [], ignored: [{ event: on(A, 'cancel'), reason: 'not-cancellable', status: 'REJECTED' }] },
    },
  ])('$name', ({ orders, events, expected }) => {
    expect(applySagaEvents(new Map(orders), events)).toEqual(expected);
  });

  it('does not change the map it was given', () => {
    const orders = new Map([[A, pending]]);
    applySagaEvents(orders, [on(A, 'stock.reserved')]);
    expect(orders.get(A)).toEqual(pending);
  });
});
