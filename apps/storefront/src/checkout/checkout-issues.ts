import { ApiError } from '../api/http';
import type { PricedCartLine } from '../cart/use-priced-cart';

/** Same shape as the server's `issues`: client-side and server-side problems are shown the same way. */
export interface FieldIssue {
  field: string;
  message: string;
}

export const CHECKOUT_FIELD_IDS = {
  name: 'customer-name',
  email: 'customer-email',
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
    return { field: targetId ? field : 'form', targetId, text: subject ? `${subject} ${message}` : message };
  });
}

function locate(field: string, lines: PricedCartLine[]): { targetId?: string; subject?: string } {
  if (field === 'customer.name') return { targetId: CHECKOUT_FIELD_IDS.name, subject: 'Name' };
  if (field === 'customer.email') return { targetId: CHECKOUT_FIELD_IDS.email, subject: 'Email' };
  if (field === 'lines') return { targetId: CHECKOUT_FIELD_IDS.review, subject: 'Your cart' };

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
  if (error instanceof ApiError) {
    const { status, body } = error;
    if (body?.issues?.length) return body.issues;
    if (status >= 400 && status < 500 && body) return [{ field: 'form', message: body.message }];
    return [{ field: 'form', message: `The shop could not take your order just now (error ${status}). ${retryIsSafe}` }];
  }
  return [{ field: 'form', message: `We could not reach the shop, so your order may not have arrived. ${retryIsSafe}` }];
}
