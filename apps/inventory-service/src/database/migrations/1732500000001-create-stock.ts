import { DEMO_CATALOG } from '@shop/contracts';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateStock1732500000001 implements MigrationInterface {
  name = 'CreateStock1732500000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE stock (
        sku text PRIMARY KEY,
        available int NOT NULL CONSTRAINT stock_available_not_negative CHECK (available >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One row per order and sku: the same order can never be reserved twice.
    await queryRunner.query(`
      CREATE TABLE reservations (
        order_id uuid NOT NULL,
        sku text NOT NULL REFERENCES stock (sku),
        quantity int NOT NULL CHECK (quantity > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (order_id, sku)
      )`);
    for (const product of DEMO_CATALOG) {
      await queryRunner.query(`INSERT INTO stock (sku, available) VALUES ($1, $2)`, [product.sku, product.initialStock]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE reservations`);
    await queryRunner.query(`DROP TABLE stock`);
  }
}
