import type { SystemStatusView } from '@shop/contracts';
import { confirmationOutlook, INVENTORY_QUEUE_SLOW_ABOVE, OUTBOX_LATE_AFTER_SECONDS } from './confirmation-outlook';

/** Everything running, nothing waiting: the figures of a healthy shop. */
function figures(overrides: {
  reachable?: boolean;
  online?: boolean;
  consumers?: number | null;
  queueDepth?: number | null;
  backlog?: number;
  oldestAgeSeconds?: number | null;
}): SystemStatusView {
  const online = overrides.online ?? true;
  return {
    broker: { reachable: overrides.reachable ?? true },
    outbox: { backlog: overrides.backlog ?? 0, oldestAgeSeconds: overrides.oldestAgeSeconds ?? null },
    inventory: { online, queueDepth: overrides.queueDepth === undefined ? 0 : overrides.queueDepth, consumers: overrides.consumers ?? (online ? 1 : 0) },
    checkedAt: '2030-05-01T10:00:00.000Z',
  };
}

describe('confirmationOutlook', () => {
  it.each<{ name: string; status: SystemStatusView; expected: 'prompt' | 'delayed' }>([
    { name: 'everything running, nothing waiting', status: figures({}), expected: 'prompt' },
    { name: 'a few orders in the queue and a fresh outbox row', status: figures({ queueDepth: 3, backlog: 2, oldestAgeSeconds: 0.4 }), expected: 'prompt' },
    {
      name: 'the broker unreachable (or it did not answer in time)',
      status: figures({ reachable: false, online: false, queueDepth: null, consumers: null }),
      expected: 'delayed',
    },
    { name: 'no inventory consumer on its queue', status: figures({ online: false, consumers: 0 }), expected: 'delayed' },
    {
      name: 'the broker answered but the queue could not be inspected',
      status: figures({ online: false, queueDepth: null, consumers: null }),
      expected: 'delayed',
    },
    {
      name: `the oldest outbox row exactly ${OUTBOX_LATE_AFTER_SECONDS} s old`,
      status: figures({ backlog: 1, oldestAgeSeconds: OUTBOX_LATE_AFTER_SECONDS }),
      expected: 'prompt',
    },
    {
      name: `the oldest outbox row older than ${OUTBOX_LATE_AFTER_SECONDS} s`,
      status: figures({ backlog: 1, oldestAgeSeconds: OUTBOX_LATE_AFTER_SECONDS + 0.1 }),
      expected: 'delayed',
    },
    {
      name: `exactly ${INVENTORY_QUEUE_SLOW_ABOVE} orders waiting for inventory`,
      status: figures({ queueDepth: INVENTORY_QUEUE_SLOW_ABOVE }),
      expected: 'prompt',
    },
    {
      name: `more than ${INVENTORY_QUEUE_SLOW_ABOVE} orders waiting for inventory`,
      status: figures({ queueDepth: INVENTORY_QUEUE_SLOW_ABOVE + 1 }),
      expected: 'delayed',
    },
  ])('$name: $expected', ({ status, expected }) => {
    expect(confirmationOutlook(status)).toBe(expected);
  });
});
