import { decideBatch, decideOrder, decideReleases, decideReservation, unitsGivenBack, type OrderDecision, type OrderRecord } from './reservation-decision';

const now = new Date('2025-01-02T03:04:05.000Z');
const earlier = new Date('2025-01-01T00:00:00.000Z');
const [A, B, C] = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];

const stock = new Map([
  ['BAG-004', 5],
  ['MUG-001', 2],
  ['TEE-002', 0],
]);

describe('decideReservation', () => {
  it('reserves every line when all are available, in sku order', () => {
    expect(
      decideReservation(
        [
          { sku: 'MUG-001', quantity: 2 },
          { sku: 'BAG-004', quantity: 5 },
        ],
        stock,
      ),
    ).toEqual({
      reserve: true,
      lines: [
        { sku: 'BAG-004', quantity: 5 },
        { sku: 'MUG-001', quantity: 2 },
      ],
    });
  });

  it('rejects the whole order, naming the first short sku in sku order', () => {
    expect(
      decideReservation(
        [
          { sku: 'TEE-002', quantity: 1 },
          { sku: 'MUG-001', quantity: 3 },
        ],
        stock,
      ),
    ).toEqual({
      reserve: false,
      sku: 'MUG-001',
      reason: 'MUG-001 is out of stock: 3 requested, 2 available',
    });
  });

  it('adds up lines of the same sku before checking', () => {
    expect(
      decideReservation(
        [
          { sku: 'MUG-001', quantity: 1 },
          { sku: 'MUG-001', quantity: 2 },
        ],
        stock,
      ),
    ).toMatchObject({ reserve: false, sku: 'MUG-001' });
  });

  it('rejects a sku that is not stocked', () => {
    expect(decideReservation([{ sku: 'ZZZ-999', quantity: 1 }], stock)).toEqual({ reserve: false, sku: 'ZZZ-999', reason: 'ZZZ-999 is not stocked' });
  });
});

describe('decideOrder', () => {
  const reservedBefore: OrderDecision = { outcome: 'reserved', lines: [{ sku: 'MUG-001', quantity: 2 }], decidedAt: earlier };
  const rejectedBefore: OrderDecision = {
    outcome: 'rejected',
    sku: 'TEE-002',
    reason: 'TEE-002 is out of stock: 1 requested, 0 available',
    decidedAt: earlier,
  };
  const restocked = new Map([
    ['MUG-001', 100],
    ['TEE-002', 100],
  ]);
  const soldOut = new Map([
    ['MUG-001', 0],
    ['TEE-002', 0],
  ]);

  it.each([
    [
      'a new order, enough stock: reserved now',
      [{ sku: 'MUG-001', quantity: 2 }],
      restocked,
      undefined,
      { decision: { ...reservedBefore, decidedAt: now }, repeated: false },
    ],
    [
      'a new order, too little stock: rejected now',
      [{ sku: 'TEE-002', quantity: 1 }],
      soldOut,
      undefined,
      { decision: { ...rejectedBefore, decidedAt: now }, repeated: false },
    ],
    [
      'a copy of a rejected order after a restock: still rejected, same reason',
      [{ sku: 'TEE-002', quantity: 1 }],
      restocked,
      rejectedBefore,
      { decision: rejectedBefore, repeated: true },
    ],
    [
      'a copy of a reserved order once sold out: still reserved, nothing new taken',
      [{ sku: 'MUG-001', quantity: 2 }],
      soldOut,
      reservedBefore,
      { decision: reservedBefore, repeated: true },
    ],
    [
      'a copy with other lines: the recorded decision, not the new lines',
      [{ sku: 'TEE-002', quantity: 9 }],
      restocked,
      reservedBefore,
      { decision: reservedBefore, repeated: true },
    ],
  ])('%s', (_case, requested, available, recorded, expected) => {
    expect(decideOrder(requested, available, recorded, now)).toEqual(expected);
  });
});

describe('decideBatch', () => {
  const placed = (messageId: string, orderId: string, lines: { sku: string; quantity: number }[]) => ({ messageId, payload: { orderId, lines } });
  const tombstone: OrderDecision = { outcome: 'cancelled', decidedAt: earlier };
  const reservedBefore: OrderDecision = { outcome: 'reserved', lines: [{ sku: 'MUG-001', quantity: 2 }], decidedAt: earlier };
  /** A batch's effect in a line per message, and what it writes. */
  function run(messages: ReturnType<typeof placed>[], available: Map<string, number>, recorded: Map<string, OrderDecision> = new Map()) {
    const batch = decideBatch(messages, available, recorded, now);
    return {
      outcomes: batch.outcomes.map(({ message, outcome }) => `${message.messageId}: ${outcome}`),
      answers: batch.answers.map(({ message, decision }) => `${message.messageId}: ${decision.outcome}`),
      decisions: batch.decisions.map(({ orderId, decision }) => `${orderId.slice(0, 1)} ${decision.outcome}`),
      reservations: batch.reservations.map(({ orderId, sku, quantity }) => `${orderId.slice(0, 1)} ${quantity} × ${sku}`),
    };
  }

  it.each([
    [
      'new orders in message order: the first ones get the last units',
      [
        placed('m1', A, [{ sku: 'MUG-001', quantity: 1 }]),
        placed('m2', B, [{ sku: 'MUG-001', quantity: 1 }]),
        placed('m3', C, [{ sku: 'MUG-001', quantity: 1 }]),
      ],
      new Map(),
      {
        outcomes: ['m1: reserved', 'm2: reserved', 'm3: rejected'],
        answers: ['m1: reserved', 'm2: reserved', 'm3: rejected'],
        decisions: ['1 reserved', '2 reserved', '3 rejected'],
        reservations: ['1 1 × MUG-001', '2 1 × MUG-001'],
      },
    ],
    [
      'a repeat of an order decided before: answered again, nothing decided nor taken',
      [placed('m1', A, [{ sku: 'MUG-001', quantity: 2 }])],
      new Map([[A, reservedBefore]]),
      { outcomes: ['m1: repeated'], answers: ['m1: reserved'], decisions: [], reservations: [] },
    ],
    [
      'two copies of one order within the batch: decided and taken once, answered twice',
      [placed('m1', A, [{ sku: 'MUG-001', quantity: 1 }]), placed('m2', A, [{ sku: 'MUG-001', quantity: 1 }])],
      new Map(),
      { outcomes: ['m1: reserved', 'm2: repeated'], answers: ['m1: reserved', 'm2: reserved'], decisions: ['1 reserved'], reservations: ['1 1 × MUG-001'] },
    ],
    [
      'a tombstone met by the late order.placed: nothing taken, nothing decided, no answer',
      [placed('m1', A, [{ sku: 'MUG-001', quantity: 1 }])],
      new Map([[A, tombstone]]),
      { outcomes: ['m1: cancelled-before-reservation'], answers: [], decisions: [], reservations: [] },
    ],
    [
      'a tombstoned order beside a new one: the new one gets the units',
      [placed('m1', A, [{ sku: 'MUG-001', quantity: 2 }]), placed('m2', B, [{ sku: 'MUG-001', quantity: 2 }])],
      new Map([[A, tombstone]]),
      { outcomes: ['m1: cancelled-before-reservation', 'm2: reserved'], answers: ['m2: reserved'], decisions: ['2 reserved'], reservations: ['2 2 × MUG-001'] },
    ],
  ])('%s', (_case, messages, recorded, expected) => {
    expect(run(messages, new Map([['MUG-001', 2]]), recorded)).toEqual(expected);
  });

  it('leaves the stock it was given as it was', () => {
    const available = new Map([['MUG-001', 2]]);
    decideBatch([placed('m1', A, [{ sku: 'MUG-001', quantity: 2 }])], available, new Map(), now);
    expect(available.get('MUG-001')).toBe(2);
  });
});

describe('decideReleases', () => {
  const request = (messageId: string, orderId: string) => ({ messageId, payload: { orderId } });
  const reserved = (lines: { sku: string; quantity: number }[]): OrderRecord => ({ decision: { outcome: 'reserved', lines, decidedAt: earlier } });
  const rejected: OrderRecord = { decision: { outcome: 'rejected', sku: 'TEE-002', reason: 'TEE-002 is out of stock', decidedAt: earlier } };
  const released: OrderRecord = { ...reserved([{ sku: 'MUG-001', quantity: 2 }]), release: { releasedAt: earlier, lines: [{ sku: 'MUG-001', quantity: 2 }] } };
  function run(messages: ReturnType<typeof request>[], recorded: Map<string, OrderRecord>) {
    const batch = decideReleases(messages, recorded, now);
    const lines = (release: { lines: { sku: string; quantity: number }[] }) => release.lines.map((line) => `${line.quantity} × ${line.sku}`).join(', ');
    return {
      outcomes: batch.outcomes.map(({ message, outcome }) => `${message.messageId}: ${outcome}`),
      tombstones: batch.tombstones.map(({ orderId }) => orderId.slice(0, 1)),
      releases: batch.releases.map(({ orderId, release }) => `${orderId.slice(0, 1)} [${lines(release)}]`),
      answers: batch.answers.map(({ message, release }) => `${message.messageId}: [${lines(release)}]`),
      givenBack: unitsGivenBack(batch.releases).map((line) => `${line.quantity} × ${line.sku}`),
    };
  }

  it.each([
    [
      'a reserved order: its lines go back, one stock.released naming them',
      [request('m1', A)],
      new Map([[A, reserved([{ sku: 'MUG-001', quantity: 2 }])]]),
      { outcomes: ['m1: released'], tombstones: [], releases: ['1 [2 × MUG-001]'], answers: ['m1: [2 × MUG-001]'], givenBack: ['2 × MUG-001'] },
    ],
    [
      'a rejected order: released with no lines, nothing goes back',
      [request('m1', A)],
      new Map([[A, rejected]]),
      { outcomes: ['m1: nothing-held'], tombstones: [], releases: ['1 []'], answers: ['m1: []'], givenBack: [] },
    ],
    [
      'an order not decided yet: a tombstone, released with no lines',
      [request('m1', A)],
      new Map(),
      { outcomes: ['m1: cancelled-before-reservation'], tombstones: ['1'], releases: ['1 []'], answers: ['m1: []'], givenBack: [] },
    ],
    [
      'an order released before: nothing recorded, nothing back, nothing published',
      [request('m1', A)],
      new Map([[A, released]]),
      { outcomes: ['m1: repeated'], tombstones: [], releases: [], answers: [], givenBack: [] },
    ],
    [
      'two copies of one release within the batch: released once',
      [request('m1', A), request('m2', A)],
      new Map([[A, reserved([{ sku: 'MUG-001', quantity: 2 }])]]),
      { outcomes: ['m1: released', 'm2: repeated'], tombstones: [], releases: ['1 [2 × MUG-001]'], answers: ['m1: [2 × MUG-001]'], givenBack: ['2 × MUG-001'] },
    ],
    [
      'two copies of an undecided order within the batch: one tombstone, one release',
      [request('m1', A), request('m2', A)],
      new Map(),
      { outcomes: ['m1: cancelled-before-reservation', 'm2: repeated'], tombstones: ['1'], releases: ['1 []'], answers: ['m1: []'], givenBack: [] },
    ],
    [
      'two orders of the same sku in one batch: their units summed per sku, in sku order',
      [request('m1', A), request('m2', B)],
      new Map([
        [
          A,
          reserved([
            { sku: 'MUG-001', quantity: 2 },
            { sku: 'TEE-002', quantity: 1 },
          ]),
        ],
        [
          B,
          reserved([
            { sku: 'BAG-004', quantity: 1 },
            { sku: 'MUG-001', quantity: 3 },
          ]),
        ],
      ]),
      {
        outcomes: ['m1: released', 'm2: released'],
        tombstones: [],
        releases: ['1 [2 × MUG-001, 1 × TEE-002]', '2 [1 × BAG-004, 3 × MUG-001]'],
        answers: ['m1: [2 × MUG-001, 1 × TEE-002]', 'm2: [1 × BAG-004, 3 × MUG-001]'],
        givenBack: ['1 × BAG-004', '5 × MUG-001', '1 × TEE-002'],
      },
    ],
  ])('%s', (_case, messages, recorded, expected) => {
    expect(run(messages, recorded)).toEqual(expected);
  });
});
