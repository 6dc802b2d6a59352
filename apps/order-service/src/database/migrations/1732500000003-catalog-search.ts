import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Full-text search over the catalog: a generated tsvector (the name weighs more than the description)
 * and a GIN index on it. The two-argument to_tsvector(regconfig, text) is immutable, as a generated
 * column requires; the Product entity leaves `search` unmapped, so inserts fill it by themselves.
 */
export class CatalogSearch1732500000003 implements MigrationInterface {
  name = 'CatalogSearch1732500000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', name), 'A') || setweight(to_tsvector('english', description), 'B')
      ) STORED`);
    await queryRunner.query(`CREATE INDEX products_search_idx ON products USING GIN (search)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX products_search_idx`);
    await queryRunner.query(`ALTER TABLE products DROP COLUMN search`);
  }
}
