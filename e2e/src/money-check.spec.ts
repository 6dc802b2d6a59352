import type { LedgerEntry } from '@shop/contracts';
import { moneyViolations } from './promise-check';

const ORDER = '0b1c2d3e-0000-4000-8000-000000000001';
const TOTAL = 4_800;
const entry = (kind: LedgerEntry['kind'], amountCents = TOTAL, reference = ORDER): LedgerEntry => ({
  authorizationId: 'auth_1',
  reference,
  kind,
  amountCents,
  at: '2026-12-06T06:00:00.000Z',
});

/** The money check over one order's ledger: each row, a ledger and the problems it must find (none: the money is right). */
describe('moneyViolations', () => {
  it.each<[string, string, LedgerEntry[], string[]]>([
    ['confirmed, authorized and captured', 'CONFIRMED', [entry('authorize'), entry('capture')], []],
    ['confirmed, capture missing', 'CONFIRMED', [entry('authorize')], ['captured 0 - refunded 0 = 0, expected 4800']],
    [
      'confirmed, captured twice',
      'CONFIRMED',
      [entry('authorize'), entry('capture'), entry('capture')],
      ['2 capture entries', 'captured 9600 - refunded 0 = 9600, expected 4800'],
    ],
    [
      'confirmed, captured less than the total',
      'CONFIRMED',
      [entry('authorize'), entry('capture', 4_000)],
      ['captured 4000 - refunded 0 = 4000, expected 4800'],
    ],
    ['authorized twice', 'CONFIRMED', [entry('authorize'), entry('authorize'), entry('capture')], ['2 authorize entries']],
    ['rejected (stock or card), nothing moved', 'REJECTED', [], []],
    ['rejected but captured', 'REJECTED', [entry('authorize'), entry('capture'), entry('refund')], ['captured, but the order was never confirmed']],
    ['rejected with a hold left', 'REJECTED', [entry('authorize')], ['its authorization still holds the money (neither voided nor captured and refunded)']],
    ['cancelled before payment', 'CANCELLED', [], []],
    ['cancelled while authorized, voided', 'CANCELLED', [entry('authorize'), entry('void')], []],
    ['cancelled while authorized, voided twice', 'CANCELLED', [entry('authorize'), entry('void'), entry('void')], ['2 void entries']],
    ['cancelled after confirmation, refunded', 'CANCELLED', [entry('authorize'), entry('capture'), entry('refund')], []],
    ['cancelled after confirmation, not refunded', 'CANCELLED', [entry('authorize'), entry('capture')], ['captured 4800 - refunded 0 = 4800, expected 0']],
    [
      'cancelled, refunded twice',
      'CANCELLED',
      [entry('authorize'), entry('capture'), entry('refund'), entry('refund')],
      ['2 refund entries', 'captured 4800 - refunded 9600 = -4800, expected 0'],
    ],
    ['captured without an authorization', 'CONFIRMED', [entry('capture')], ['captured or voided without an authorization']],
  ])('%s', (_case, status, ledger, problems) => {
    expect(moneyViolations(ledger, new Map([[ORDER, { status, totalCents: TOTAL }]]))).toEqual(
      problems.map((problem) => `money: ${ORDER} (${status}, total ${TOTAL}): ${problem}`),
    );
  });

  it('finds money moved for an order the shop does not have', () => {
    const stranger = '0b1c2d3e-0000-4000-8000-000000000002';
    expect(moneyViolations([entry('authorize', TOTAL, stranger)], new Map())).toEqual([
      `money: 1 ledger entries for ${stranger}, which is no final order of the shop`,
    ]);
  });
});
