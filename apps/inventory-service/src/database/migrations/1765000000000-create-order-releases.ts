import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrderReleases1765000000000 implements MigrationInterface {
  name = 'CreateOrderReleases1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // 'cancelled': a tombstone, the order was released before its order.placed came; that one takes nothing.
    await queryRunner.query(`ALTER TABLE order_decisions DROP CONSTRAINT order_decisions_outcome_check`);
    await queryRunner.query(
      `ALTER TABLE order_decisions ADD CONSTRAINT order_decisions_outcome_check CHECK (outcome IN ('reserved', 'rejected', 'cancelled'))`,
    );
    // One row per order, by its primary key: an order's stock is given back once, whatever the copies of its release.
    await queryRunner.query(`
      CREATE TABLE order_releases (
        order_id uuid PRIMARY KEY REFERENCES order_decisions (order_id),
        released_at timestamptz NOT NULL,
        -- The reservations given back (their rows are deleted): [{"sku", "quantity"}], empty for an order that held nothing.
        lines jsonb NOT NULL CHECK (jsonb_typeof(lines) = 'array')
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE order_releases`);
    await queryRunner.query(`DELETE FROM order_decisions WHERE outcome = 'cancelled'`);
    await queryRunner.query(`ALTER TABLE order_decisions DROP CONSTRAINT order_decisions_outcome_check`);
    await queryRunner.query(`ALTER TABLE order_decisions ADD CONSTRAINT order_decisions_outcome_check CHECK (outcome IN ('reserved', 'rejected'))`);
  }
}
