import type { SystemStatusView } from '@shop/contracts';
import { plural } from '../format';

export type StatusTone = 'ok' | 'degraded' | 'unknown';

export interface SystemStatusSummary {
  tone: StatusTone;
  /** One reassuring sentence: what it means for the shopper's order. */
  headline: string;
  facts: { label: string; value: string }[];
}

/** Turns the operators' view of the system into words for a shopper. */
export function describeSystemStatus(status: SystemStatusView | undefined, unreachable: boolean): SystemStatusSummary {
  if (unreachable) {
    return {
      tone: 'unknown',
      headline: "We can't reach the shop right now. We'll keep trying; please check back in a moment.",
      facts: [],
    };
  }
  if (!status) return { tone: 'unknown', headline: 'Checking how the shop is doing…', facts: [] };

  const facts = [
    { label: 'Inventory', value: status.inventory.online ? 'online' : 'offline' },
    { label: 'Orders waiting in the queue', value: status.inventory.queueDepth === null ? 'unknown' : String(status.inventory.queueDepth) },
    { label: 'Outbox backlog', value: describeBacklog(status.outbox) },
  ];

  if (!status.broker.reachable) {
    return {
      tone: 'degraded',
      headline: 'Orders are accepted and saved as usual. Confirmations are taking a little longer and will arrive automatically.',
      facts,
    };
  }
  if (!status.inventory.online) {
    return {
      tone: 'degraded',
      headline: 'Inventory is offline for a moment. Your orders are still accepted and will be confirmed automatically when it is back.',
      facts,
    };
  }
  return { tone: 'ok', headline: 'Everything is running. Orders are usually confirmed within seconds.', facts };
}

function describeBacklog(outbox: SystemStatusView['outbox']): string {
  if (outbox.backlog === 0) return '0';
  const age = outbox.oldestAgeSeconds === null ? '' : `, oldest ${Math.round(outbox.oldestAgeSeconds)} s`;
  return `${plural(outbox.backlog, 'event')}${age}`;
}
