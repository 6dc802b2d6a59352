import type { OrderEmailKind } from '@shop/contracts';

/**
 * Where each email stands in an order's life: a shopper reads "we received your order" first, then
 * the decision (confirmed or rejected), then "cancelled". Deliveries of the events overtake each
 * other (retries, batches, redeliveries, competing replicas), so the order of the emails is decided
 * here, from what the order was already sent, never from the order in which the events arrive.
 */
export const EMAIL_RANK = { received: 1, confirmed: 2, rejected: 2, cancelled: 3 } as const satisfies Record<OrderEmailKind, number>;

/**
 * What one lifecycle event's email does, given the kinds the order's emails already had (sent, or
 * refused for good by the mail server):
 * - `send`: these emails, in this order: the receipt first when the order had no email yet (every
 *   event carries the whole order, so the receipt is rendered from it), then the event's own;
 * - `duplicate`: the event's email was already handled (a redelivery, or the receipt a later event sent ahead);
 * - `superseded`: a later email of the order went out first (a confirmed email after the cancelled one): nothing is sent;
 * - `contradiction`: confirmed after rejected or the reverse: the events disagree, nothing is sent.
 */
export type EmailPlan =
  | { action: 'send'; kinds: OrderEmailKind[] }
  | { action: 'duplicate' }
  | { action: 'superseded'; by: OrderEmailKind }
  | { action: 'contradiction'; with: OrderEmailKind };

export function emailPlan(handled: readonly OrderEmailKind[], kind: OrderEmailKind): EmailPlan {
  if (handled.includes(kind)) return { action: 'duplicate' };
  const decided = handled.find((other) => other !== kind && EMAIL_RANK[other] === 2);
  if (EMAIL_RANK[kind] === 2 && decided) return { action: 'contradiction', with: decided };
  const later = handled.filter((other) => EMAIL_RANK[other] > EMAIL_RANK[kind]).sort((a, b) => EMAIL_RANK[b] - EMAIL_RANK[a])[0];
  if (later) return { action: 'superseded', by: later };
  // The receipt goes ahead of an order's first email only: after any other it would arrive out of its order.
  return { action: 'send', kinds: kind !== 'received' && handled.length === 0 ? ['received', kind] : [kind] };
}
