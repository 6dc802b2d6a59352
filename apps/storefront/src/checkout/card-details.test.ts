import { describe, expect, it } from 'vitest';
import { readCard } from './card-details';

const NOW = new Date(2030, 4, 15); // May 2030

describe('reading the card fields', () => {
  it.each([
    [
      'spaces as printed on the card',
      { number: '4242 4242 4242 4242', expiry: '05/30', cvc: '123' },
      { number: '4242424242424242', expMonth: 5, expYear: 2030, cvc: '123' },
    ],
    [
      'dashes, a one-digit month, spaces around the slash',
      { number: '4000-0000-0000-0002', expiry: '7 / 31', cvc: '1234' },
      { number: '4000000000000002', expMonth: 7, expYear: 2031, cvc: '1234' },
    ],
  ])('reads %s', (_, input, card) => {
    expect(readCard(input, NOW)).toEqual({ card, issues: [] });
  });

  it.each([
    [
      'nothing typed',
      { number: '', expiry: '', cvc: '' },
      [
        { field: 'payment.card.number', message: 'is required' },
        { field: 'payment.card.expiry', message: 'is required' },
        { field: 'payment.card.cvc', message: 'is required' },
      ],
    ],
    [
      'too few digits and letters',
      { number: '4242 42', expiry: '05/30', cvc: 'abc' },
      [
        { field: 'payment.card.number', message: 'must be 12 to 19 digits' },
        { field: 'payment.card.cvc', message: 'must be the 3 or 4 digits on the card' },
      ],
    ],
    [
      'month 13',
      { number: '4242424242424242', expiry: '13/30', cvc: '123' },
      [{ field: 'payment.card.expiry', message: 'must be a month and year such as 04/29' }],
    ],
    [
      'a four-digit year',
      { number: '4242424242424242', expiry: '05/2030', cvc: '123' },
      [{ field: 'payment.card.expiry', message: 'must be a month and year such as 04/29' }],
    ],
    [
      'last month',
      { number: '4242424242424242', expiry: '04/30', cvc: '123' },
      [{ field: 'payment.card.expiry', message: 'is in the past: check the date on the card' }],
    ],
  ])('refuses %s, naming each field', (_, input, issues) => {
    expect(readCard(input, NOW)).toEqual({ card: null, issues });
  });

  it('accepts the current month: a card is good through the end of it', () => {
    expect(readCard({ number: '4242424242424242', expiry: '05/30', cvc: '123' }, NOW).issues).toEqual([]);
  });
});
