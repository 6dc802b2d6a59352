import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention (OutboxService.purge, hourly) finds the published outbox rows and the inbox rows past
 * their windows through an index each, instead of reading the whole table: a week of rows at a
 * steady rate is millions, and the last statement of every purge, the one that finds fewer than a
 * batch, read all of them. Unpublished rows are left out of the outbox's index: an insert costs
 * nothing more, and a publish, already a non-HOT update (published_at is in outbox_claimable_idx's
 * predicate), adds one entry at the index's right end. The inbox's grows at its right end too.
 */
export class RetentionIndexes1765200000000 implements MigrationInterface {
  name = 'RetentionIndexes1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX outbox_published_idx ON outbox (published_at) WHERE published_at IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX inbox_processed_idx ON inbox (processed_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX inbox_processed_idx`);
    await queryRunner.query(`DROP INDEX outbox_published_idx`);
  }
}
