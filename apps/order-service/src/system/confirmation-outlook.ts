import type { ShopperStatusView, SystemStatusView } from '@shop/contracts';

/** An outbox row unpublished for longer than this means the relay is behind (or cannot publish): confirmations run late. */
export const OUTBOX_LATE_AFTER_SECONDS = 10;
/** More orders than this waiting in inventory's queue means inventory is slow: confirmations run late. */
export const INVENTORY_QUEUE_SLOW_ABOVE = 100;

/**
 * What the operators' figures mean for a shopper, in one word: `delayed` when an order just placed
 * will not be confirmed within seconds (nothing carries it, nobody decides it, or it waits its turn
 * behind a backlog), `prompt` otherwise.
 */
export function confirmationOutlook(status: SystemStatusView): ShopperStatusView['confirmations'] {
  const late =
    !status.broker.reachable ||
    !status.inventory.online ||
    (status.outbox.oldestAgeSeconds ?? 0) > OUTBOX_LATE_AFTER_SECONDS ||
    (status.inventory.queueDepth ?? 0) > INVENTORY_QUEUE_SLOW_ABOVE;
  return late ? 'delayed' : 'prompt';
}
