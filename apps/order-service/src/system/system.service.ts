import { Inject, Injectable } from '@nestjs/common';
import { QUEUES, type SystemStatusView } from '@shop/contracts';
import { AmqpConnection } from '@shop/messaging';
import { OutboxService } from '@shop/outbox';
import { DeadlineExceededError, withDeadline } from '@shop/platform';

export const STATUS_PROBE_TIMEOUT_MS = Symbol('STATUS_PROBE_TIMEOUT_MS');
/** ORDER_STUCK_AFTER_SECONDS, told to shoppers' pages with the status. */
export const ORDER_STUCK_AFTER_S = Symbol('ORDER_STUCK_AFTER_S');

@Injectable()
export class SystemService {
  constructor(
    private readonly outbox: OutboxService,
    private readonly broker: AmqpConnection,
    @Inject(STATUS_PROBE_TIMEOUT_MS) private readonly probeTimeoutMs: number,
  ) {}

  /**
   * What stands between an accepted order and its confirmation: the outbox, the broker, inventory's
   * queue. Each part gets `probeTimeoutMs` to answer, so the page that asks never waits on a part
   * that froze: a broker that does not answer is reported unreachable (inventory unknown), a
   * database that does not answer makes the whole answer a 503 (no order can be taken then).
   */
  async status(): Promise<SystemStatusView> {
    const [outbox, queue] = await Promise.all([
      withDeadline(this.outbox.backlog(), this.probeTimeoutMs, 'the outbox backlog query'),
      withDeadline(this.broker.inspectQueue(QUEUES.inventoryOrderPlaced), this.probeTimeoutMs, 'the broker').catch((err: unknown) =>
        err instanceof DeadlineExceededError ? ('no answer' as const) : null,
      ),
    ]);
    const answered = queue === 'no answer' ? null : queue;
    return {
      broker: { reachable: this.broker.isConnected() && queue !== 'no answer' },
      outbox: { backlog: outbox.backlog, oldestAgeSeconds: outbox.oldestAgeSeconds === null ? null : Math.round(outbox.oldestAgeSeconds * 10) / 10 },
      inventory: { online: (answered?.consumerCount ?? 0) > 0, queueDepth: answered?.messageCount ?? null, consumers: answered?.consumerCount ?? null },
      checkedAt: new Date().toISOString(),
    };
  }
}
