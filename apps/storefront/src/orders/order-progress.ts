import type { OrderView } from '@shop/contracts';

/**
 * What a shopper is told about where an order stands: pure functions of the order view (and the
 * shop's word on confirmations), so each status has its table test and the page only renders.
 */

/** What a shopper whose order stopped moving is told, in one sentence, with nothing contradicting it. */
export const NEEDS_A_PERSON =
  'Something held this order up on our side, and a person will look at it. It will not be lost: we will confirm it, or email you; there is nothing you need to do.';

export type StepState = 'done' | 'current' | 'failed' | 'upcoming';

export interface Step {
  title: string;
  detail: string;
  state: StepState;
  at?: string;
}

export interface ProgressContext {
  /** The shop says confirmations run late (GET /api/system/status). */
  confirmationsDelayed: boolean;
  /** PENDING or RESERVED past the shop's stuck threshold while confirmations are prompt: a person must look. */
  needsAPerson: boolean;
}

/** Which part of the saga turned a REJECTED order down: the provider's decline, else the stock. */
export function rejectionCause(order: Pick<OrderView, 'payment'>): 'stock' | 'payment' {
  return order.payment?.status === 'declined' ? 'payment' : 'stock';
}

/**
 * Order received → Stock reserved → Payment authorized → Confirmed. A rejection ends the list at the
 * step that failed; a cancelled order shows what was received and what became of the money.
 */
export function orderSteps(order: OrderView, { confirmationsDelayed, needsAPerson }: ProgressContext): Step[] {
  const received: Step = { title: 'Order received', detail: 'We have saved your order.', state: 'done', at: order.createdAt };
  const stockDone: Step = { title: 'Stock reserved', detail: 'Your items are set aside for you.', state: 'done' };
  switch (order.status) {
    case 'PENDING':
      return [
        received,
        {
          title: 'Stock reserved',
          detail: needsAPerson
            ? NEEDS_A_PERSON
            : confirmationsDelayed
              ? 'This is taking longer than usual right now. Your order is safe and will be confirmed automatically; there is nothing you need to do.'
              : 'Our inventory is reserving your items. This usually takes a few seconds.',
          state: 'current',
        },
        { title: 'Payment authorized', detail: 'We ask your card for the amount once your items are reserved.', state: 'upcoming' },
        { title: 'Confirmed', detail: 'Your order is confirmed once it is paid.', state: 'upcoming' },
      ];
    case 'RESERVED':
      return [
        received,
        stockDone,
        {
          title: 'Payment authorized',
          detail: needsAPerson ? NEEDS_A_PERSON : 'We are asking your card for the amount. This usually takes a few seconds.',
          state: 'current',
        },
        { title: 'Confirmed', detail: 'Your order is confirmed once it is paid.', state: 'upcoming' },
      ];
    case 'CONFIRMED':
      return [
        received,
        stockDone,
        {
          title: 'Payment authorized',
          detail: order.payment?.status === 'captured' ? 'Your card was charged.' : 'Your card holds the amount for this order.',
          state: 'done',
        },
        { title: 'Confirmed', detail: 'Your items are reserved for you and paid.', state: 'done', at: order.updatedAt },
      ];
    case 'REJECTED':
      return rejectionCause(order) === 'payment'
        ? [received, stockDone, { title: 'Payment authorized', detail: declineReason(order), state: 'failed', at: order.updatedAt }]
        : [received, { title: 'Stock reserved', detail: describeRejection(order), state: 'failed', at: order.updatedAt }];
    case 'CANCELLED':
      return [received, { title: 'Cancelled', detail: moneyOutcome(order), state: 'done', at: order.updatedAt }];
  }
}

/** The provider's reason for the decline, as the payment results reported it. */
export function declineReason(order: Pick<OrderView, 'payment' | 'statusReason'>): string {
  return order.payment?.reason ?? order.statusReason ?? 'Your card was declined.';
}

/**
 * Inventory's reason names the sku ("BLK-012 is out of stock: 20 requested, 15 available"); the
 * product's name goes first so the shopper knows which item it was.
 */
export function describeRejection(order: Pick<OrderView, 'statusReason' | 'lines'>): string {
  const reason = order.statusReason ?? 'Some items were not available.';
  const line = order.lines.find((candidate) => reason.includes(candidate.sku));
  if (!line || reason.includes(line.name)) return reason;
  return reason.startsWith(line.sku) ? `${line.name} (${line.sku})${reason.slice(line.sku.length)}.` : `${reason} (${line.name}).`;
}

/** What became of a cancelled order's money, as the payment results reported it. */
export function moneyOutcome(order: Pick<OrderView, 'payment'>): string {
  switch (order.payment?.status) {
    case 'voided':
      return 'The hold on your card was released.';
    case 'refunded':
      return 'Refunded to your card.';
    case 'authorized':
    case 'captured':
      return 'Returning your payment…';
    default:
      return 'Nothing was charged to your card.';
  }
}

/**
 * Whether more news is due for the order, so its page keeps listening: stock or payment to come, a
 * declined order's items still being put back, a cancelled order's money still being returned.
 */
export function awaitsNews(order: OrderView): boolean {
  switch (order.status) {
    case 'PENDING':
    case 'RESERVED':
      return true;
    case 'CONFIRMED':
      return false;
    case 'REJECTED':
      return rejectionCause(order) === 'payment' && !order.stockReleased;
    case 'CANCELLED':
      return order.payment?.status === 'authorized' || order.payment?.status === 'captured';
  }
}
