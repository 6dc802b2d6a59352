import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The paid and cancellable order: statuses RESERVED and CANCELLED, the provider's payment token (the
 * orders placed before payments have none), where the money stands, whether inventory gave the stock
 * back, and when the shopper cancelled. The cancel capability is not stored: it is an HMAC of the
 * order id (CANCEL_TOKEN_SECRET). An order RESERVED for too long is stuck too: found by its own index.
 */
export class PaidAndCancellableOrders1765000000006 implements MigrationInterface {
  name = 'PaidAndCancellableOrders1765000000006';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE orders DROP CONSTRAINT orders_status_check`);
    await queryRunner.query(
      `ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('PENDING', 'RESERVED', 'CONFIRMED', 'REJECTED', 'CANCELLED'))`,
    );
    await queryRunner.query(`
      ALTER TABLE orders
        ADD COLUMN payment_token text,
        ADD COLUMN payment_status text CHECK (payment_status IN ('authorized', 'declined', 'captured', 'voided', 'refunded')),
        ADD COLUMN payment_reason text,
        ADD COLUMN stock_released boolean NOT NULL DEFAULT false,
        ADD COLUMN cancelled_at timestamptz`);
    // Orders rejected before releases existed held nothing (inventory reserved all lines or none): nothing will be given back.
    await queryRunner.query(`UPDATE orders SET stock_released = true WHERE status = 'REJECTED'`);
    // RESERVED orders change only by leaving RESERVED, so updated_at is when they got there.
    await queryRunner.query(`CREATE INDEX orders_reserved_idx ON orders (updated_at) WHERE status = 'RESERVED'`);
    // Orders whose compensation or capture is still due (UNDOING in orders.repository.ts, the same predicate): few at any time.
    await queryRunner.query(`CREATE INDEX orders_undoing_idx ON orders (updated_at)
      WHERE ((status IN ('REJECTED', 'CANCELLED') AND (NOT stock_released OR payment_status IN ('authorized', 'captured')))
        OR (status = 'CONFIRMED' AND payment_status = 'authorized'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX orders_undoing_idx`);
    await queryRunner.query(`DROP INDEX orders_reserved_idx`);
    await queryRunner.query(`
      ALTER TABLE orders
        DROP COLUMN cancelled_at,
        DROP COLUMN stock_released,
        DROP COLUMN payment_reason,
        DROP COLUMN payment_status,
        DROP COLUMN payment_token`);
    await queryRunner.query(`ALTER TABLE orders DROP CONSTRAINT orders_status_check`);
    await queryRunner.query(`ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('PENDING', 'CONFIRMED', 'REJECTED'))`);
  }
}
