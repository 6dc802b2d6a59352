import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An outbox row's `created_at` is the moment it is inserted, not the start of the transaction that
 * writes it: `now()` made a row written after a slow call in the same transaction (payment-service
 * calls the provider first) look that much older, and its time in the outbox (the publish span's
 * `shop.outbox.age_ms`, `outbox_publish_age_seconds`) that much longer. Only the default changes.
 */
export class OutboxWrittenAtInsert1765100000000 implements MigrationInterface {
  name = 'OutboxWrittenAtInsert1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox ALTER COLUMN created_at SET DEFAULT clock_timestamp()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox ALTER COLUMN created_at SET DEFAULT now()`);
  }
}
