import { TEST_CARDS } from '@shop/contracts';
import { behaviourOf, brandOf, expiredField, passesLuhn } from './card';

describe('passesLuhn', () => {
  it.each([
    ['4242424242424242', true],
    ['4000000000000002', true],
    ['5555555555554444', true],
    ['378282246310005', true],
    ['4242424242424241', false], // last digit mistyped
    ['4242424242424224', false], // two digits swapped
    ['0000000000000000', true],
    ['42424242a4242424', false],
    ['', false],
  ])('%s -> %s', (number, expected) => {
    expect(passesLuhn(number)).toBe(expected);
  });

  it('passes every documented test card', () => {
    expect(TEST_CARDS.filter((card) => !passesLuhn(card.number))).toEqual([]);
  });
});

describe('brandOf', () => {
  it.each([
    ['4242424242424242', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['2223003122003222', 'mastercard'],
    ['378282246310005', 'amex'],
    ['6011111111111117', 'discover'],
    ['3056930009020004', 'unknown'],
  ])('%s is %s', (number, brand) => {
    expect(brandOf(number)).toBe(brand);
  });
});

describe('expiredField', () => {
  const now = new Date('2026-06-15T12:00:00Z');
  it.each([
    [2025, 12, 'card.expYear'],
    [2026, 5, 'card.expMonth'],
    [2026, 6, null], // good through the end of its month
    [2026, 7, null],
    [2027, 1, null],
  ] as const)('%i/%i -> %s', (year, month, field) => {
    expect(expiredField(year, month, now)).toBe(field);
  });
});

describe('behaviourOf', () => {
  it.each([
    ['4242424242424242', 'succeeds'],
    ['4000000000000002', 'card_declined'],
    ['4000000000009995', 'insufficient_funds'],
    ['4000000000000259', 'hangs'],
    ['5555555555554444', 'succeeds'],
  ])('%s %s', (number, behaviour) => {
    expect(behaviourOf(number)).toBe(behaviour);
  });
});
