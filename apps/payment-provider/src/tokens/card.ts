import { TEST_CARDS, type TestCardToken } from '@shop/contracts';

/** What a card does at authorization. */
export type CardBehaviour = 'succeeds' | 'card_declined' | 'insufficient_funds' | 'hangs';

/** The documented test tokens, each with what its card does (every token of the contract must be here). */
export const BEHAVIOUR_OF_TEST_TOKEN: Record<TestCardToken, CardBehaviour> = {
  tok_success: 'succeeds',
  tok_declined: 'card_declined',
  tok_insufficient_funds: 'insufficient_funds',
  tok_hang: 'hangs',
};

const BEHAVIOUR_OF_TEST_NUMBER = new Map<string, CardBehaviour>(TEST_CARDS.map((card) => [card.number, BEHAVIOUR_OF_TEST_TOKEN[card.token]]));

/** A documented test number does what its documentation says; every other valid number succeeds. */
export function behaviourOf(number: string): CardBehaviour {
  return BEHAVIOUR_OF_TEST_NUMBER.get(number) ?? 'succeeds';
}

/** The Luhn checksum every real card number passes (it catches a mistyped digit and most swaps). */
export function passesLuhn(number: string): boolean {
  if (!/^[0-9]+$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The card network, from the number's leading digits. */
export function brandOf(number: string): string {
  const prefix2 = Number(number.slice(0, 2));
  const prefix4 = Number(number.slice(0, 4));
  if (number.startsWith('4')) return 'visa';
  if ((prefix2 >= 51 && prefix2 <= 55) || (prefix4 >= 2221 && prefix4 <= 2720)) return 'mastercard';
  if (prefix2 === 34 || prefix2 === 37) return 'amex';
  if (number.startsWith('6011') || prefix2 === 65) return 'discover';
  return 'unknown';
}

/** A card is good through the last day of its expiry month; the field to fix when it is not, else null. */
export function expiredField(expYear: number, expMonth: number, now: Date): 'card.expYear' | 'card.expMonth' | null {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  if (expYear < year) return 'card.expYear';
  if (expYear === year && expMonth < month) return 'card.expMonth';
  return null;
}
