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
  async record(manager: EntityManager, row: SentEmailRow): Promise<void> {
    await manager.query(
      `INSERT INTO sent_emails (message_id, order_id, kind, recipient, status, smtp_response, email_message_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [row.messageId, row.orderId, row.kind, row.recipient, row.status, row.smtpResponse, row.emailMessageId],
    );
  }

  /**
   * Holds the order's emails until the caller's transaction ends: the events of one order are
   * decided and sent one after the other, across the batch's concurrent sends and the replicas.
   */
  async lockOrder(manager: EntityManager, orderId: string): Promise<void> {
    // A 32-bit hash: two orders that collide only wait for each other.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('sent_emails'), hashtext($1))`, [orderId]);
  }

  /** The kinds of the order's emails that are done: accepted by the mail server, or refused for good. Call under lockOrder. */
  async handledKinds(manager: EntityManager, orderId: string): Promise<OrderEmailKind[]> {
    const rows: { kind: OrderEmailKind }[] = await manager.query(
      `SELECT kind FROM sent_emails WHERE order_id = $1 AND status IN ('sent', 'refused') ORDER BY sent_at, kind`,
      [orderId],
    );
    return rows.map((row) => row.kind);
  }

  /** The reply that refused this message's email, if it was refused. */
  async refusalOf(manager: EntityManager, messageId: string): Promise<string | null> {
    const rows: { smtp_response: string }[] = await manager.query(
      `SELECT smtp_response FROM sent_emails WHERE message_id = $1 AND status = 'refused' LIMIT 1`,
      [messageId],
    );
    return rows[0]?.smtp_response ?? null;
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
