import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxRepository } from './outbox.repository';

/**
 * The idempotent consumer: records (consumer, messageId) in the caller's transaction before the
 * effect runs. A redelivered message finds its row and is skipped; a concurrent duplicate waits on
 * the primary key until the first transaction commits, then is skipped too. Rows are purged after
 * `inboxRetentionHours` (see OutboxService.purge).
 */
@Injectable()
export class InboxService {
  private readonly repository = new OutboxRepository();

  /**
   * Records every message id of a batch in the caller's transaction, in one statement, and returns
   * the messages to apply: those not seen before, in their order, each once (a message id twice in
   * one batch, a redelivery racing its retry, is applied once).
   */
  async claimMany<T extends { messageId: string }>(manager: EntityManager, consumer: string, messages: T[]): Promise<T[]> {
    requireTransaction(manager, 'InboxService.claimMany must run inside the transaction of the effect');
    const fresh = await this.repository.claimInbox(
      manager,
      consumer,
      messages.map((message) => message.messageId),
    );
    return messages.filter((message) => fresh.delete(message.messageId));
  }

  /**
   * Takes back, in the caller's transaction, claims it made for messages whose effect did not
   * happen: the commit then keeps the others' claims and effects, and these are applied when they
   * are delivered again. For a batch whose messages each have an effect outside the database (an
   * email) that may fail alone.
   */
  async release(manager: EntityManager, consumer: string, messageIds: string[]): Promise<void> {
    requireTransaction(manager, 'InboxService.release must run inside the transaction that claimed the messages');
    if (messageIds.length > 0) await this.repository.releaseInbox(manager, consumer, messageIds);
  }
}

function requireTransaction(manager: EntityManager, message: string): void {
  if (!manager.queryRunner?.isTransactionActive) throw new Error(message);
}
