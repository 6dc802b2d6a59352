import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrders1732500000002 implements MigrationInterface {
  name = 'CreateOrders1732500000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY,
        customer_name text NOT NULL,
        customer_email text NOT NULL,
        status text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'REJECTED')),
        status_reason text,
        total_cents int NOT NULL CHECK (total_cents >= 0),
        idempotency_key text NOT NULL UNIQUE,
        request_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX orders_customer_email_idx ON orders (customer_email, created_at DESC)`);
    await queryRunner.query(`
      CREATE TABLE order_lines (
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        sku text NOT NULL REFERENCES products (sku),
        product_name text NOT NULL,
        quantity int NOT NULL CHECK (quantity > 0),
        unit_price_cents int NOT NULL CHECK (unit_price_cents >= 0),
        PRIMARY KEY (order_id, sku)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE order_lines`);
    await queryRunner.query(`DROP TABLE orders`);
  }
}
