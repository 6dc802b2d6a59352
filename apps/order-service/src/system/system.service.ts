import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { QUEUES, type SystemStatusView } from '@shop/contracts';
import { AmqpConnection } from '@shop/messaging';
import { DataSource } from 'typeorm';

@Injectable()
export class SystemService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly broker: AmqpConnection,
  ) {}

  /** What stands between an accepted order and its confirmation: the outbox, the broker, inventory's queue. */
  async status(): Promise<SystemStatusView> {
    const [[outbox], queue] = await Promise.all([
      this.dataSource.query(
        `SELECT count(*)::int AS backlog, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest_age_seconds
         FROM outbox WHERE published_at IS NULL`,
      ) as Promise<{ backlog: number; oldest_age_seconds: number | null }[]>,
      this.broker.inspectQueue(QUEUES.inventoryOrderPlaced).catch(() => null),
    ]);
    return {
      broker: { reachable: this.broker.isConnected() },
      outbox: { backlog: outbox.backlog, oldestAgeSeconds: outbox.oldest_age_seconds === null ? null : Math.round(outbox.oldest_age_seconds * 10) / 10 },
      inventory: { online: (queue?.consumerCount ?? 0) > 0, queueDepth: queue?.messageCount ?? null, consumers: queue?.consumerCount ?? null },
      checkedAt: new Date().toISOString(),
    };
  }
}
