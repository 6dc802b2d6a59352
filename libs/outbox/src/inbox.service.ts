import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxRepository } from './outbox.repository';
import type { SqlStatement } from './sql-statement';

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
   * One message claimed in the same statement as the caller's read (one round trip where there
   * were two): the read's rows first (a `SELECT … FOR UPDATE` takes its locks before the claim, as
   * if it ran first), then the message's inbox row. `fresh` says whether the message was not seen
   * before; `rows` are the read's (none when it found nothing). The read must not refer to
   * parameters past its own `values`.
   */
  async claimWith<R>(manager: EntityManager, consumer: string, messageId: string, read: SqlStatement): Promise<{ fresh: boolean; rows: R[] }> {
    requireTransaction(manager, 'InboxService.claimWith must run inside the transaction of the effect');
    const result: (R & { [FOUND]: boolean | null; [FRESH]: boolean })[] = await manager.query(
      this.repository.claimAlongside(read.statement, read.values.length + 1, FOUND, FRESH),
      [...read.values, consumer, messageId],
    );
    const rows = result.filter((row) => row[FOUND]).map(({ [FOUND]: _found, [FRESH]: _fresh, ...row }) => row as R);
    return { fresh: result[0][FRESH], rows };
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

/** The columns claimWith adds to the read's rows: whether the read found the row, whether the message was new. */
const FOUND = 'inbox: read found';
const FRESH = 'inbox: claimed';

function requireTransaction(manager: EntityManager, message: string): void {
  if (!manager.queryRunner?.isTransactionActive) throw new Error(message);
}
