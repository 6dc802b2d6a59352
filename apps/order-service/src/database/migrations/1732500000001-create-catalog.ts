import { DEMO_CATALOG } from '@shop/contracts';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCatalog1732500000001 implements MigrationInterface {
  name = 'CreateCatalog1732500000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE products (
        sku text PRIMARY KEY,
        name text NOT NULL,
        description text NOT NULL,
        price_cents int NOT NULL CHECK (price_cents >= 0),
        image_url text NOT NULL
      )`);
    for (const product of DEMO_CATALOG) {
      await queryRunner.query(`INSERT INTO products (sku, name, description, price_cents, image_url) VALUES ($1, $2, $3, $4, $5)`, [
        product.sku,
        product.name,
        product.description,
        product.priceCents,
        product.imageUrl,
      ]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE products`);
  }
}
