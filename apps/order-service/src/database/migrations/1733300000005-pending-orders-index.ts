import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Stuck orders are found among the PENDING ones, oldest first: a small index, however large the orders table grows. */
export class PendingOrdersIndex1733300000005 implements MigrationInterface {
  name = 'PendingOrdersIndex1733300000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX orders_pending_idx ON orders (created_at) WHERE status = 'PENDING'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX orders_pending_idx`);
  }
}
