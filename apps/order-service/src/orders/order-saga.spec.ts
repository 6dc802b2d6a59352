import { ORDER_STATUSES } from '@shop/contracts';
import { isSettled, nextStep, SAGA_EVENT_TYPES, type SagaEventType, type SagaState, type SagaStep } from './order-saga';

/** Every state an order can be in (status, money, stock given back), by a short name. */
const STATES = {
  pending: { status: 'PENDING', payment: null, stockReleased: false },
  reserved: { status: 'RESERVED', payment: null, stockReleased: false },
  'confirmed, authorized': { status: 'CONFIRMED', payment: 'authorized', stockReleased: false },
  'confirmed, captured': { status: 'CONFIRMED', payment: 'captured', stockReleased: false },
  'rejected for stock': { status: 'REJECTED', payment: null, stockReleased: false },
  'rejected for stock, released': { status: 'REJECTED', payment: null, stockReleased: true },
  'rejected for payment': { status: 'REJECTED', payment: 'declined', stockReleased: false },
  'rejected for payment, released': { status: 'REJECTED', payment: 'declined', stockReleased: true },
  'cancelled, nothing paid': { status: 'CANCELLED', payment: null, stockReleased: false },
  'cancelled, nothing paid, released': { status: 'CANCELLED', payment: null, stockReleased: true },
  'cancelled, authorized': { status: 'CANCELLED', payment: 'authorized', stockReleased: false },
  'cancelled, captured': { status: 'CANCELLED', payment: 'captured', stockReleased: false },
  'cancelled, voided': { status: 'CANCELLED', payment: 'voided', stockReleased: false },
  'cancelled, refunded, released': { status: 'CANCELLED', payment: 'refunded', stockReleased: true },
} as const satisfies Record<string, SagaState>;
type StateName = keyof typeof STATES;

/**
 * The saga, written out: for each state, what each event does. `-> STATUS (cause)`, `payment x`,
 * `stock released` and `+event` (published) for a change; otherwise why nothing changes.
 */
const EXPECTED: Record<StateName, Record<SagaEventType, string>> = {
  pending: {
    'stock.reserved': '-> RESERVED +order.reserved',
    'stock.rejected': '-> REJECTED (stock) +order.rejected',
    'stock.released': 'contradiction',
    'payment.authorized': 'contradiction',
    'payment.declined': 'contradiction',
    'payment.captured': 'contradiction',
    'payment.voided': 'contradiction',
    'payment.refunded': 'contradiction',
    cancel: '-> CANCELLED +order.cancelled',
  },
  reserved: {
    'stock.reserved': 'repeat',
    'stock.rejected': 'contradiction',
    'stock.released': 'contradiction',
    'payment.authorized': '-> CONFIRMED payment authorized +order.confirmed',
    'payment.declined': '-> REJECTED (payment) payment declined +order.rejected',
    'payment.captured': 'contradiction',
    'payment.voided': 'contradiction',
    'payment.refunded': 'contradiction',
    cancel: '-> CANCELLED +order.cancelled',
  },
  'confirmed, authorized': {
    'stock.reserved': 'repeat',
    'stock.rejected': 'contradiction',
    'stock.released': 'contradiction',
    'payment.authorized': 'repeat',
    'payment.declined': 'contradiction',
    'payment.captured': 'payment captured',
    'payment.voided': 'contradiction',
    'payment.refunded': 'contradiction',
    cancel: '-> CANCELLED +order.cancelled',
  },
  'confirmed, captured': {
    'stock.reserved': 'repeat',
    'stock.rejected': 'contradiction',
    'stock.released': 'contradiction',
    'payment.authorized': 'repeat',
    'payment.declined': 'contradiction',
    'payment.captured': 'repeat',
    'payment.voided': 'contradiction',
    'payment.refunded': 'contradiction',
    cancel: '-> CANCELLED +order.cancelled',
  },
  'rejected for stock': {
    'stock.reserved': 'contradiction',
    'stock.rejected': 'repeat',
    'stock.released': 'stock released',
    'payment.authorized': 'contradiction',
    'payment.declined': 'contradiction',
    'payment.captured': 'contradiction',
    'payment.voided': 'contradiction',
    'payment.refunded': 'contradiction',
    cancel: 'not-cancellable',
  },
  'rejected for stock, released': {
    'stock.reserved': 'contradiction',
    'stock.rejected': 'repeat',
    'stock.released': 'repeat',
    'payment.authorized': 'contradiction',
    'payment.declined': 'contradiction',
    'payment.captured': 'contradiction',
    'payment.voided': 'contradiction',
    'payment.refunded': 'contradiction',
    cancel: 'not-cancellable',
  },
  'rejected for payment': {
    'stock.reserved': 'repeat',
    'stock.rejected': 'contradiction',
    'stock.released': 'stock released',
    'payment.authorized': 'contradiction',
    'payment.declined': 'repeat',
    'payment.captured': 'contradiction',
    'payment.voided': 'contradiction',
    'payment.refunded': 'contradiction',
    cancel: 'not-cancellable',
  },
  'rejected for payment, released': {
    'stock.reserved': 'repeat',
    'stock.rejected': 'contradiction',
    'stock.released': 'repeat',
    'payment.authorized': 'contradiction',
    'payment.declined': 'repeat',
    'payment.captured': 'contradiction',
    'payment.voided': 'contradiction',
    'payment.refunded': 'contradiction',
    cancel: 'not-cancellable',
  },
  'cancelled, nothing paid': {
    'stock.reserved': 'late',
    'stock.rejected': 'late',
    'stock.released': 'stock released',
    'payment.authorized': 'late',
    'payment.declined': 'late',
    'payment.captured': 'contradiction',
    'payment.voided': 'payment voided',
    'payment.refunded': 'payment refunded',
    cancel: 'repeat',
  },
  'cancelled, nothing paid, released': {
    'stock.reserved': 'late',
    'stock.rejected': 'late',
    'stock.released': 'repeat',
    'payment.authorized': 'late',
    'payment.declined': 'late',
    'payment.captured': 'contradiction',
    'payment.voided': 'payment voided',
    'payment.refunded': 'payment refunded',
    cancel: 'repeat',
  },
  'cancelled, authorized': {
    'stock.reserved': 'late',
    'stock.rejected': 'late',
    'stock.released': 'stock released',
    'payment.authorized': 'late',
    'payment.declined': 'late',
    'payment.captured': 'payment captured',
    'payment.voided': 'payment voided',
    'payment.refunded': 'payment refunded',
    cancel: 'repeat',
  },
  'cancelled, captured': {
    'stock.reserved': 'late',
    'stock.rejected': 'late',
    'stock.released': 'stock released',
    'payment.authorized': 'late',
    'payment.declined': 'late',
    'payment.captured': 'repeat',
    'payment.voided': 'contradiction',
    'payment.refunded': 'payment refunded',
    cancel: 'repeat',
  },
  'cancelled, voided': {
    'stock.reserved': 'late',
    'stock.rejected': 'late',
    'stock.released': 'stock released',
    'payment.authorized': 'late',
    'payment.declined': 'late',
    'payment.captured': 'contradiction',
    'payment.voided': 'repeat',
    'payment.refunded': 'contradiction',
    cancel: 'repeat',
  },
  'cancelled, refunded, released': {
    'stock.reserved': 'late',
    'stock.rejected': 'late',
    'stock.released': 'repeat',
    'payment.authorized': 'late',
    'payment.declined': 'late',
    'payment.captured': 'late',
    'payment.voided': 'contradiction',
    'payment.refunded': 'repeat',
    cancel: 'repeat',
  },
};

function described(step: SagaStep): string {
  if ('ignored' in step) return step.ignored;
  return [
    step.status && `-> ${step.status}`,
    step.cause && `(${step.cause})`,
    step.payment && `payment ${step.payment}`,
    step.stockReleased && 'stock released',
    ...step.publish.map((event) => `+${event}`),
  ]
    .filter(Boolean)
    .join(' ');
}

const stateNames = Object.keys(STATES) as StateName[];

describe('the order saga', () => {
  it('the table names every status, and every event for every state', () => {
    expect(new Set(stateNames.map((name) => STATES[name].status))).toEqual(new Set(ORDER_STATUSES));
    for (const name of stateNames) expect(Object.keys(EXPECTED[name]).sort()).toEqual([...SAGA_EVENT_TYPES].sort());
  });

  describe.each(stateNames)('%s', (name) => {
    it.each([...SAGA_EVENT_TYPES])('+ %s', (type) => {
      expect(described(nextStep(STATES[name], { type, reason: 'words' }))).toBe(EXPECTED[name][type]);
    });
  });

  it('any event for an order that does not exist is an unknown-order no-op', () => {
    for (const type of SAGA_EVENT_TYPES) expect(nextStep(null, { type })).toEqual({ ignored: 'unknown-order' });
  });

  it('keeps the reasons: inventory words, the provider words (prefixed for the order), the shopper words', () => {
    expect(nextStep(STATES.pending, { type: 'stock.rejected', reason: 'MUG-001 is out of stock' })).toMatchObject({
      status: 'REJECTED',
      reason: 'MUG-001 is out of stock',
      cause: 'stock',
    });
    expect(nextStep(STATES.reserved, { type: 'payment.declined', reason: 'Your card has insufficient funds. Try another card.' })).toEqual({
      status: 'REJECTED',
      reason: 'payment declined: Your card has insufficient funds. Try another card.',
      cause: 'payment',
      payment: 'declined',
      paymentReason: 'Your card has insufficient funds. Try another card.',
      publish: ['order.rejected'],
    });
    expect(nextStep(STATES.reserved, { type: 'cancel', reason: 'ordered twice' })).toMatchObject({ reason: 'cancelled by the shopper: ordered twice' });
    expect(nextStep(STATES.reserved, { type: 'cancel' })).toMatchObject({ reason: 'cancelled by the shopper' });
  });
});

describe('isSettled: nothing more will happen to the order', () => {
  it.each<[StateName, boolean]>([
    ['pending', false],
    ['reserved', false],
    ['confirmed, captured', false],
    ['rejected for stock', false],
    ['rejected for stock, released', true],
    ['rejected for payment, released', true],
    ['cancelled, nothing paid', false],
    ['cancelled, nothing paid, released', true],
    ['cancelled, authorized', false],
    ['cancelled, refunded, released', true],
  ])('%s: %s', (name, settled) => {
    expect(isSettled(STATES[name])).toBe(settled);
  });
});
