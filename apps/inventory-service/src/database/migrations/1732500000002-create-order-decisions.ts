import { storedEvents } from '@shop/outbox';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrderDecisions1732500000002 implements MigrationInterface {
  name = 'CreateOrderDecisions1732500000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One row per order: inventory decides an order once, and every later copy of it gets this answer.
    await queryRunner.query(`
      CREATE TABLE order_decisions (
        order_id uuid PRIMARY KEY,
        outcome text NOT NULL CHECK (outcome IN ('reserved', 'rejected')),
        sku text,
        reason text,
        decided_at timestamptz NOT NULL,
        -- A rejection names its sku and reason; a reservation's lines are its reservations rows.
        CONSTRAINT order_decisions_reason_of_rejection CHECK (
          CASE outcome WHEN 'rejected' THEN sku IS NOT NULL AND reason IS NOT NULL ELSE sku IS NULL AND reason IS NULL END
        )
      )`);
    // Orders reserved before this table existed keep that decision (their stock is held).
    await queryRunner.query(`
      INSERT INTO order_decisions (order_id, outcome, decided_at)
      SELECT order_id, 'reserved', min(created_at) FROM reservations GROUP BY order_id`);
    // Rejections left no row of their own: their answers still in the outbox (kept a week after publishing) are all that tells.
    const firstAnswers = new Map<string, { payload: Record<string, unknown>; createdAt: Date }>();
    for (const answer of await storedEvents(queryRunner, 'stock.rejected')) {
      if (!firstAnswers.has(String(answer.payload.orderId))) firstAnswers.set(String(answer.payload.orderId), answer);
    }
    const rejections = [...firstAnswers.values()];
    await queryRunner.query(
      `INSERT INTO order_decisions (order_id, outcome, sku, reason, decided_at)
       SELECT order_id, 'rejected', sku, reason, decided_at FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS r(order_id, sku, reason, decided_at)
       ON CONFLICT (order_id) DO NOTHING`,
      [
        rejections.map((answer) => answer.payload.orderId),
        rejections.map((answer) => answer.payload.sku),
        rejections.map((answer) => answer.payload.reason),
        rejections.map((answer) => answer.createdAt),
      ],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE order_decisions`);
  }
}
