import type { TokenizeCardRequest } from '@shop/contracts';
import type { FieldIssue } from './checkout-issues';

/** The card as typed: what the three fields hold. Kept in the page's memory only, never stored. */
export interface CardInput {
  number: string;
  /** MM/YY */
  expiry: string;
  cvc: string;
}

export const EMPTY_CARD: CardInput = { number: '', expiry: '', cvc: '' };

export type CardReading = { card: TokenizeCardRequest['card']; issues: [] } | { card: null; issues: FieldIssue[] };

/**
 * Reads the three card fields into the provider's tokenize body, or the issues to show beside them
 * (fields `payment.card.number`, `.expiry`, `.cvc`). Spaces and dashes in the number are how people
 * copy it from the card; the provider checks the rest (Luhn, the card itself).
 */
export function readCard(input: CardInput, now: Date = new Date()): CardReading {
  const issues: FieldIssue[] = [];
  const number = input.number.replace(/[\s-]/g, '');
  if (number === '') issues.push({ field: 'payment.card.number', message: 'is required' });
  else if (!/^[0-9]{12,19}$/.test(number)) issues.push({ field: 'payment.card.number', message: 'must be 12 to 19 digits' });

  const expiry = /^\s*(\d{1,2})\s*\/\s*(\d{2})\s*$/.exec(input.expiry);
  const expMonth = expiry ? Number(expiry[1]) : NaN;
  const expYear = expiry ? 2000 + Number(expiry[2]) : NaN;
  if (input.expiry.trim() === '') issues.push({ field: 'payment.card.expiry', message: 'is required' });
  else if (!expiry || expMonth < 1 || expMonth > 12) issues.push({ field: 'payment.card.expiry', message: 'must be a month and year such as 04/29' });
  else if (expYear < now.getFullYear() || (expYear === now.getFullYear() && expMonth < now.getMonth() + 1)) {
    issues.push({ field: 'payment.card.expiry', message: 'is in the past: check the date on the card' });
  }

  const cvc = input.cvc.trim();
  if (cvc === '') issues.push({ field: 'payment.card.cvc', message: 'is required' });
  else if (!/^[0-9]{3,4}$/.test(cvc)) issues.push({ field: 'payment.card.cvc', message: 'must be the 3 or 4 digits on the card' });

  if (issues.length > 0) return { card: null, issues };
  return { card: { number, expMonth, expYear, cvc }, issues: [] };
}

/** A card number in groups of four, as printed on the card. */
export const groupCardNumber = (number: string): string => number.replace(/(\d{4})(?=\d)/g, '$1 ');
