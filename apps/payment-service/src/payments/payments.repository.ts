import { Injectable } from '@nestjs/common';
import type { AuthorizationView } from '@shop/contracts';
import type { SqlStatement } from '@shop/outbox';
import type { EntityManager } from 'typeorm';
import type { PaymentStatus } from './payment-step';

export interface PaymentRow {
  orderId: string;
  status: PaymentStatus;
  authorizationId: string | null;
  amountCents: number | null;
  currency: string | null;
  declineCode: string | null;
  declineReason: string | null;
  /** Only while an authorization's outcome is unknown (`authorizing`). */
  paymentToken: string | null;
  createdAt: Date;
  authorizedAt: Date | null;
  capturedAt: Date | null;
  voidedAt: Date | null;
  refundedAt: Date | null;
  cancelledAt: Date | null;
}

const COLUMNS = `order_id AS "orderId", status, authorization_id AS "authorizationId", amount_cents AS "amountCents", currency,
  decline_code AS "declineCode", decline_reason AS "declineReason", payment_token AS "paymentToken", created_at AS "createdAt", authorized_at AS "authorizedAt",
  captured_at AS "capturedAt", voided_at AS "voidedAt", refunded_at AS "refundedAt", cancelled_at AS "cancelledAt"`;

/** When each later status was reached. */
const REACHED_AT = { captured: 'captured_at', voided: 'voided_at', refunded: 'refunded_at' } as const;

/** The SQL of payments. Methods run on the caller's manager, inside the caller's transaction. */
@Injectable()
export class PaymentsRepository {
  /**
   * Takes the order's row lock until the transaction ends, and returns its payment (null: none yet).
   * Most messages find the row (an order.reserved's intent was committed before it): one statement.
   * An order never seen gets a placeholder row (`authorizing`), whose insert is the lock: a
   * concurrent message of the same order waits on it, then finds what this transaction committed
   * (or nothing, if it rolled back). The caller replaces the placeholder or rolls back.
   * `firstRead` runs the first locking read and may return more than its rows (the message's inbox
   * claim rides on it, and says whether the message is new); later reads run alone.
   */
  async lockPayment<T extends { rows: PaymentRow[] }>(
    manager: EntityManager,
    orderId: string,
    firstRead: (lock: SqlStatement) => Promise<T>,
  ): Promise<Omit<T, 'rows'> & { payment: PaymentRow | null }> {
    const lock: SqlStatement = { statement: `SELECT ${COLUMNS} FROM payments WHERE order_id = $1 FOR UPDATE`, values: [orderId] };
    const { rows, ...first } = await firstRead(lock);
    let [row]: (PaymentRow | undefined)[] = rows;
    while (!row) {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO payments (order_id, status) VALUES ($1, 'authorizing') ON CONFLICT (order_id) DO NOTHING RETURNING order_id`,
        [orderId],
      );
      if (inserted.length === 1) return { ...first, payment: null };
      // Committed by another transaction after the SELECT's snapshot was taken: the next SELECT sees it.
      [row] = await manager.query(lock.statement, lock.values);
    }
    return { ...first, payment: row };
  }

  /**
   * The provider's answer to the authorization (authorized, or declined with its code and reason),
   * as a statement returning the order id: for OutboxService.addWith with its event, or on its own.
   */
  authorizationChange(
    orderId: string,
    authorization: AuthorizationView & { status: 'authorized' | 'declined' },
    decline: { code: string; reason: string } | null,
    at: Date,
  ): SqlStatement {
    return {
      statement: `UPDATE payments SET status = $2, authorization_id = $3, amount_cents = $4, currency = $5, decline_code = $6, decline_reason = $7,
         payment_token = NULL, authorized_at = $8, updated_at = $8
       WHERE order_id = $1 RETURNING order_id`,
      values: [
        orderId,
        authorization.status,
        authorization.id,
        authorization.amountCents,
        authorization.currency,
        decline?.code ?? null,
        decline?.reason ?? null,
        at,
      ],
    };
  }

  /** An authorization about to be asked for, committed on its own: the row a crash during the call leaves is `authorizing`, never missing. */
  async recordAuthorizationIntent(manager: EntityManager, orderId: string, request: { token: string; amountCents: number; currency: string }): Promise<void> {
    await manager.query(
      `INSERT INTO payments (order_id, status, payment_token, amount_cents, currency) VALUES ($1, 'authorizing', $2, $3, $4)
       ON CONFLICT (order_id) DO NOTHING`,
      [orderId, request.token, request.amountCents, request.currency],
    );
  }

  /** The payment reached a later status at the provider, as a statement returning the order id (see authorizationChange). */
  statusChange(orderId: string, status: keyof typeof REACHED_AT, at: Date): SqlStatement {
    return {
      statement: `UPDATE payments SET status = $2, ${REACHED_AT[status]} = $3, updated_at = $3 WHERE order_id = $1 RETURNING order_id`,
      values: [orderId, status, at],
    };
  }

  /** Cancelled before anything was authorized: the placeholder becomes the tombstone a late order.reserved finds. */
  async recordTombstone(manager: EntityManager, orderId: string, at: Date): Promise<void> {
    await manager.query(`UPDATE payments SET status = 'cancelled-before-authorization', cancelled_at = $2, updated_at = $2 WHERE order_id = $1`, [orderId, at]);
  }

  async findPayment(manager: EntityManager, orderId: string): Promise<PaymentRow | null> {
    const [row]: PaymentRow[] = await manager.query(`SELECT ${COLUMNS} FROM payments WHERE order_id = $1`, [orderId]);
    return row ?? null;
  }
}
