import { Injectable } from '@nestjs/common';
import type { OrderEmailKind } from '@shop/contracts';
import type { EntityManager } from 'typeorm';

/** An order email's kind, or a sign-in link's (which has no order). */
export type SentEmailKind = OrderEmailKind | 'sign-in';

/** One email of one message: a message sends one email, or two when its order's receipt goes ahead of it. */
export interface SentEmailRow {
  messageId: string;
  /** null for a sign-in link. */
  orderId: string | null;
  kind: SentEmailKind;
  recipient: string;
  /** `expired`: a sign-in link past its expiry when it was consumed, not sent. */
  status: 'sent' | 'refused' | 'expired';
  smtpResponse: string;
  emailMessageId: string;
}

/** The SQL of the sent log. Methods run on the caller's manager, inside the caller's transaction. */
@Injectable()
export class SentEmailsRepository {
  /**
   * Writes a batch's sent log in one statement, the rows in the order the mail server answered:
   * `sent_at` is the database's clock as each row is written (one microsecond apart within the
   * statement), so an order's emails sort in their order however close together they went.
   */
  async recordAll(manager: EntityManager, rows: SentEmailRow[]): Promise<void> {
    if (rows.length === 0) return;
    const column = <K extends keyof SentEmailRow>(key: K) => rows.map((row) => row[key]);
    await manager.query(
      `INSERT INTO sent_emails (message_id, order_id, kind, recipient, status, smtp_response, email_message_id, sent_at)
       SELECT message_id, order_id::uuid, kind, recipient, status, smtp_response, email_message_id, clock_timestamp() + n * interval '1 microsecond'
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
         WITH ORDINALITY AS row (message_id, order_id, kind, recipient, status, smtp_response, email_message_id, n)
       ORDER BY n`,
      [column('messageId'), column('orderId'), column('kind'), column('recipient'), column('status'), column('smtpResponse'), column('emailMessageId')],
    );
  }

  /**
   * Holds the orders' emails until the caller's transaction ends, and then reads the kinds each
   * order's emails already have: the events of one order are decided and sent one after the other,
   * across batches and replicas. The locks are taken in one fixed order (no two batches wait for
   * each other), in a statement of their own, so the read that follows sees every email committed
   * by whoever held a lock before.
   */
  async lockOrders(manager: EntityManager, orderIds: string[]): Promise<Map<string, OrderEmailKind[]>> {
    const handled = new Map<string, OrderEmailKind[]>(orderIds.map((orderId) => [orderId, []]));
    const ids = [...handled.keys()];
    if (ids.length === 0) return handled;
    // A 32-bit hash: two orders that collide only wait for each other.
    await manager.query(
      `SELECT count(pg_advisory_xact_lock(hashtext('sent_emails'), key))
       FROM (SELECT DISTINCT hashtext(order_id) AS key FROM unnest($1::text[]) AS order_id ORDER BY key) AS keys`,
      [ids],
    );
    // Done: accepted by the mail server, or refused for good. Each order's emails are looked up by
    // its index: the lateral subquery is kept apart from the join (OFFSET 0), so the planner cannot
    // turn it into a hash join over the whole log, which it picks on a table not yet analyzed (a
    // new database, a restore) where it cannot tell that an order has only a few rows.
    const rows: { order_id: string; kind: OrderEmailKind }[] = await manager.query(
      `SELECT ids.order_id, sent.kind FROM unnest($1::text[]) AS ids (order_id)
       CROSS JOIN LATERAL (
         SELECT kind, sent_at FROM sent_emails WHERE order_id = ids.order_id::uuid AND status IN ('sent', 'refused') OFFSET 0
       ) AS sent
       ORDER BY sent.sent_at, sent.kind`,
      [ids],
    );
    for (const row of rows) handled.get(row.order_id)?.push(row.kind);
    return handled;
  }

  /** The replies that refused these messages' emails, by message id, for those that were refused. */
  async refusalsOf(manager: EntityManager, messageIds: string[]): Promise<Map<string, string>> {
    if (messageIds.length === 0) return new Map();
    const rows: { message_id: string; smtp_response: string }[] = await manager.query(
      `SELECT DISTINCT ON (message_id) message_id, smtp_response FROM sent_emails WHERE message_id = ANY($1::text[]) AND status = 'refused' ORDER BY message_id, sent_at`,
      [messageIds],
    );
    return new Map(rows.map((row) => [row.message_id, row.smtp_response]));
  }

  /** Every email of an order, refused ones too, for its timeline. */
  historyOf(
    manager: EntityManager,
    orderId: string,
  ): Promise<{ kind: OrderEmailKind; recipient: string; status: 'sent' | 'refused'; smtpResponse: string; sentAt: Date }[]> {
    return manager.query(
      `SELECT kind, recipient, status, smtp_response AS "smtpResponse", sent_at AS "sentAt" FROM sent_emails WHERE order_id = $1 ORDER BY sent_at, kind`,
      [orderId],
    );
  }

  /** The emails the mail server accepted for an order, oldest first. */
  async sentFor(manager: EntityManager, orderId: string): Promise<{ kind: OrderEmailKind; recipient: string; sent_at: Date }[]> {
    return manager.query(`SELECT kind, recipient, sent_at FROM sent_emails WHERE order_id = $1 AND status = 'sent' ORDER BY sent_at, kind`, [orderId]);
  }
}
