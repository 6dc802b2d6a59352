import type { AuthorizationStatus } from '@shop/contracts';
import { authorizationOutcome, nextStatus, type AuthorizationAction } from './authorization-policy';

describe('nextStatus', () => {
  const table: [AuthorizationAction, AuthorizationStatus, AuthorizationStatus | null][] = [
    ['capture', 'authorized', 'captured'],
    ['capture', 'declined', null],
    ['capture', 'captured', null],
    ['capture', 'voided', null],
    ['capture', 'refunded', null],
    ['void', 'authorized', 'voided'],
    ['void', 'declined', null],
    ['void', 'captured', null],
    ['void', 'voided', null],
    ['void', 'refunded', null],
    ['refund', 'authorized', null],
    ['refund', 'declined', null],
    ['refund', 'captured', 'refunded'],
    ['refund', 'voided', null],
    ['refund', 'refunded', null],
  ];
  it.each(table)('%s from %s -> %s', (action, from, to) => {
    expect(nextStatus(action, from)).toBe(to);
  });
});

describe('authorizationOutcome', () => {
  it.each([
    ['succeeds', { status: 'authorized', declineCode: null, declineReason: null }],
    ['hangs', { status: 'authorized', declineCode: null, declineReason: null }],
    ['card_declined', { status: 'declined', declineCode: 'card_declined', declineReason: 'Your card was declined.' }],
    ['insufficient_funds', { status: 'declined', declineCode: 'insufficient_funds', declineReason: 'Your card has insufficient funds.' }],
  ] as const)('%s', (behaviour, outcome) => {
    expect(authorizationOutcome(behaviour)).toEqual(outcome);
  });
});
