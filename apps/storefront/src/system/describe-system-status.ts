import type { ShopperStatusView } from '@shop/contracts';

export type StatusTone = 'ok' | 'degraded' | 'unknown';

export interface SystemStatusSummary {
  tone: StatusTone;
  /** What it means for the shopper's order, or null when there is nothing worth saying. */
  sentence: string | null;
}

export const CONFIRMATIONS_LATE =
  "Order confirmations are running late right now. Your order is saved and will be confirmed by itself; you don't need to do anything.";
export const SHOP_UNREACHABLE = "We can't reach the shop right now; please try again in a moment.";

/** The shop's one word for shoppers, as a sentence; confirmations that run as usual need none. */
export function describeSystemStatus(status: ShopperStatusView | undefined, unreachable: boolean): SystemStatusSummary {
  if (unreachable) return { tone: 'unknown', sentence: SHOP_UNREACHABLE };
  if (status?.confirmations === 'delayed') return { tone: 'degraded', sentence: CONFIRMATIONS_LATE };
  return { tone: 'ok', sentence: null };
}
