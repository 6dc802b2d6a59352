import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export type InboxOutcome<T> = { duplicate: false; result: T } | { duplicate: true };

/**
 * The idempotent consumer: records (consumer, messageId) in the caller's transaction before the
 * effect runs. A redelivered message finds its row and stops; a concurrent duplicate waits on the
 * primary key until the first transaction commits, then stops too.
 */
@Injectable()
export class InboxService {
  async runOnce<T>(manager: EntityManager, consumer: string, messageId: string, effect: () => Promise<T>): Promise<InboxOutcome<T>> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('InboxService.runOnce must run inside the transaction of the effect');
    }
    const inserted: unknown[] = await manager.query(`INSERT INTO inbox (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING message_id`, [
      consumer,
      messageId,
    ]);
    if (inserted.length === 0) return { duplicate: true };
    return { duplicate: false, result: await effect() };
  }

  /**
   * A batch consumer's `runOnce`: records every message id in the caller's transaction, in one
   * statement, and returns the messages to apply: those not seen before, in their order, each once
   * (a message id twice in one batch, a redelivery racing its retry, is applied once).
   */
  async claimMany<T extends { messageId: string }>(manager: EntityManager, consumer: string, messages: T[]): Promise<T[]> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('InboxService.claimMany must run inside the transaction of the effect');
    }
    const inserted: { message_id: string }[] = await manager.query(
      `INSERT INTO inbox (consumer, message_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING message_id`,
      // Sorted: two transactions that share ids wait on them in the same order instead of deadlocking.
      [consumer, messages.map((message) => message.messageId).sort()],
    );
    const fresh = new Set(inserted.map((row) => row.message_id));
    return messages.filter((message) => fresh.delete(message.messageId));
  }
}
