import { ApiError } from '../api/http';
import { CardTokenizationError } from '../api/payment-provider';
import type { PricedCartLine } from '../cart/use-priced-cart';

/** Same shape as the server's `issues`: client-side and server-side problems are shown the same way. */
export interface FieldIssue {
  field: string;
  message: string;
}

export const CHECKOUT_FIELD_IDS = {
  name: 'customer-name',
  email: 'customer-email',
  cardNumber: 'card-number',
  cardExpiry: 'card-expiry',
  cardCvc: 'card-cvc',
  review: 'order-review',
} as const;

export const lineElementId = (sku: string) => `line-${sku}`;

/** Where an issue is shown on the checkout page, and the sentence that names what to fix. */
export interface PlacedIssue {
  /** A dotted path (`customer.email`, `lines`, `lines.0.quantity`), or `form` when nothing on the page matches. */
  field: string;
  /** The id of the element to jump to from the error summary. */
  targetId: string | undefined;
  text: string;
}

/** Turns validation issues (zod's paths, or the server's dotted fields) into sentences placed beside their field. */
export function placeIssues(issues: FieldIssue[], lines: PricedCartLine[]): PlacedIssue[] {
  return issues.map(({ field, message }) => {
    const { targetId, subject } = locate(field, lines);
    return { field: targetId ? field : 'form', targetId, text: subject && !readsAlone(message) ? `${subject} ${message}` : capitalize(message) };
  });
}

/** A message that is a sentence of its own (the provider's "the card has expired"), not a predicate for a subject. */
const readsAlone = (message: string) => /^(?:[A-Z]|the )/.test(message);
const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function locate(field: string, lines: PricedCartLine[]): { targetId?: string; subject?: string } {
  if (field === 'customer.name') return { targetId: CHECKOUT_FIELD_IDS.name, subject: 'Name' };
  if (field === 'customer.email') return { targetId: CHECKOUT_FIELD_IDS.email, subject: 'Email' };
  if (field === 'lines') return { targetId: CHECKOUT_FIELD_IDS.review, subject: 'Your cart' };
  if (field === 'payment.card.number') return { targetId: CHECKOUT_FIELD_IDS.cardNumber, subject: 'Card number' };
  if (field === 'payment.card.expiry') return { targetId: CHECKOUT_FIELD_IDS.cardExpiry, subject: 'Expiry date' };
  if (field === 'payment.card.cvc') return { targetId: CHECKOUT_FIELD_IDS.cardCvc, subject: 'Security code' };
  // The provider's refusal of the card as a whole, or the shop's of the token: beside the card number.
  if (field === 'payment.card') return { targetId: CHECKOUT_FIELD_IDS.cardNumber };
  if (field === 'payment' || field === 'payment.token') return { targetId: CHECKOUT_FIELD_IDS.cardNumber, subject: 'Card' };

  const lineMatch = /^lines\.(\d+)(?:\.(\w+))?$/.exec(field);
  const line = lineMatch ? lines[Number(lineMatch[1])] : undefined;
  if (line) {
    const name = line.product?.name ?? line.sku;
    const subject = lineMatch?.[2] === 'quantity' ? `Quantity of ${name}` : name;
    return { targetId: lineElementId(line.sku), subject };
  }
  return {};
}

/** The issues of a zod error, with the dotted field names the server uses. */
export function issuesFromZod(issues: { path: PropertyKey[]; message: string }[]): FieldIssue[] {
  return issues.map((issue) => ({ field: issue.path.map(String).join('.'), message: issue.message }));
}

/** What to say when placing the order failed, for errors that are not about one field. */
export function describeFailure(error: unknown): FieldIssue[] {
  const retryIsSafe = 'Trying again is safe: it will never place a second order.';
  if (error instanceof CardTokenizationError) return describeCardRefusal(error.cause);
  if (error instanceof ApiError) {
    const { status, body } = error;
    if (body?.issues?.length) return body.issues;
    if (status >= 400 && status < 500 && body) return [{ field: 'form', message: body.message }];
    return [{ field: 'form', message: `The shop could not take your order just now (error ${status}). ${retryIsSafe}` }];
  }
  return [{ field: 'form', message: `We could not reach the shop, so your order may not have arrived. ${retryIsSafe}` }];
}

/** The provider's names of the card's parts, as the checkout's fields. */
const CARD_FIELDS: Record<string, string> = {
  'card.number': 'payment.card.number',
  'card.expMonth': 'payment.card.expiry',
  'card.expYear': 'payment.card.expiry',
  'card.cvc': 'payment.card.cvc',
};

/** The card could not be tokenized: nothing was sent to the shop, so no order exists. */
function describeCardRefusal(cause: unknown): FieldIssue[] {
  if (cause instanceof ApiError && cause.status >= 400 && cause.status < 500 && cause.body) {
    const issues = cause.body.issues ?? [];
    if (issues.length > 0) return issues.map((issue) => ({ field: CARD_FIELDS[issue.field] ?? 'payment.card', message: issue.message }));
    return [{ field: 'payment.card', message: cause.body.message }];
  }
  const status = cause instanceof ApiError ? ` (error ${cause.status})` : '';
  return [{ field: 'form', message: `We could not reach the card processor just now${status}, so no order was placed. Please try again.` }];
}
