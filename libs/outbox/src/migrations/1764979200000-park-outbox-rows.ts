import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A row the broker keeps refusing is parked (`parked_at`, with its reason in `last_error`) instead of
 * blocking the rows behind it; a row it refused waits out its own backoff (`next_attempt_at`).
 * `refusals` counts only the attempts the broker refused, never those an outage failed.
 */
export class ParkOutboxRows1764979200000 implements MigrationInterface {
  name = 'ParkOutboxRows1764979200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE outbox ADD COLUMN parked_at timestamptz, ADD COLUMN next_attempt_at timestamptz, ADD COLUMN refusals int NOT NULL DEFAULT 0`,
    );
    // The claim walks the rows it may publish, oldest first: parked rows are out of its index.
    await queryRunner.query(`DROP INDEX outbox_unpublished_idx`);
    await queryRunner.query(`CREATE INDEX outbox_claimable_idx ON outbox (created_at) WHERE published_at IS NULL AND parked_at IS NULL`);
    // Operators list and count the parked rows, a handful among the published ones the table keeps.
    await queryRunner.query(`CREATE INDEX outbox_parked_idx ON outbox (parked_at) WHERE parked_at IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX outbox_parked_idx`);
    await queryRunner.query(`DROP INDEX outbox_claimable_idx`);
    await queryRunner.query(`CREATE INDEX outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL`);
    await queryRunner.query(`ALTER TABLE outbox DROP COLUMN refusals, DROP COLUMN next_attempt_at, DROP COLUMN parked_at`);
  }
}
