import { nextPaymentStep, type OrderPaymentEvent, type PaymentStatus, type PaymentStep } from './payment-step';

describe('nextPaymentStep: what an order event does to its payment', () => {
  it.each<[OrderPaymentEvent, PaymentStatus | null, PaymentStep]>([
    ['order.reserved', null, { action: 'authorize' }],
    ['order.reserved', 'authorizing', { action: 'authorize' }],
    ['order.reserved', 'authorized', { action: 'ignore', reason: 'repeat' }],
    ['order.reserved', 'declined', { action: 'ignore', reason: 'repeat' }],
    ['order.reserved', 'captured', { action: 'ignore', reason: 'repeat' }],
    ['order.reserved', 'voided', { action: 'ignore', reason: 'after-cancel' }],
    ['order.reserved', 'refunded', { action: 'ignore', reason: 'after-cancel' }],
    ['order.reserved', 'cancelled-before-authorization', { action: 'ignore', reason: 'after-cancel' }],

    ['order.confirmed', null, { action: 'missing-payment' }],
    ['order.confirmed', 'authorizing', { action: 'missing-payment' }],
    ['order.confirmed', 'authorized', { action: 'capture' }],
    ['order.confirmed', 'captured', { action: 'ignore', reason: 'repeat' }],
    ['order.confirmed', 'declined', { action: 'ignore', reason: 'contradiction' }],
    ['order.confirmed', 'voided', { action: 'ignore', reason: 'after-cancel' }],
    ['order.confirmed', 'refunded', { action: 'ignore', reason: 'after-cancel' }],
    ['order.confirmed', 'cancelled-before-authorization', { action: 'ignore', reason: 'after-cancel' }],

    ['order.cancelled', null, { action: 'tombstone' }],
    ['order.cancelled', 'authorizing', { action: 'resolve-then-void' }],
    ['order.cancelled', 'authorized', { action: 'void' }],
    ['order.cancelled', 'captured', { action: 'refund' }],
    ['order.cancelled', 'declined', { action: 'ignore', reason: 'nothing-held' }],
    ['order.cancelled', 'voided', { action: 'ignore', reason: 'repeat' }],
    ['order.cancelled', 'refunded', { action: 'ignore', reason: 'repeat' }],
    ['order.cancelled', 'cancelled-before-authorization', { action: 'ignore', reason: 'repeat' }],
  ])('%s when the payment is %s', (event, status, expected) => {
    expect(nextPaymentStep(event, status)).toEqual(expected);
  });
});
