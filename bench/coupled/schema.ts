import { DEMO_CATALOG } from '@shop/contracts';
import { Client } from 'pg';

/** The coupled baseline's tables: the same shapes as the shop's, without outbox and inbox. */
export async function createCoupledSchema(ordersUrl: string, inventoryUrl: string, stock: number): Promise<void> {
  await withClient(ordersUrl, async (client) => {
    await client.query(`
      CREATE TABLE products (sku text PRIMARY KEY, name text NOT NULL, description text NOT NULL, price_cents int NOT NULL, image_url text NOT NULL);
      CREATE TABLE orders (
        id uuid PRIMARY KEY, customer_name text NOT NULL, customer_email text NOT NULL, status text NOT NULL, status_reason text,
        total_cents int NOT NULL, idempotency_key text NOT NULL UNIQUE, request_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX orders_customer_email_idx ON orders (customer_email, created_at DESC);
      CREATE TABLE order_lines (
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE, sku text NOT NULL REFERENCES products (sku),
        product_name text NOT NULL, quantity int NOT NULL, unit_price_cents int NOT NULL, PRIMARY KEY (order_id, sku));`);
    for (const p of DEMO_CATALOG) {
      await client.query(`INSERT INTO products VALUES ($1, $2, $3, $4, $5)`, [p.sku, p.name, p.description, p.priceCents, p.imageUrl]);
    }
  });
  await withClient(inventoryUrl, async (client) => {
    await client.query(`
      CREATE TABLE stock (sku text PRIMARY KEY, available int NOT NULL CHECK (available >= 0), updated_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE reservations (
        order_id uuid NOT NULL, sku text NOT NULL REFERENCES stock (sku), quantity int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (order_id, sku));`);
    for (const p of DEMO_CATALOG) await client.query(`INSERT INTO stock (sku, available) VALUES ($1, $2)`, [p.sku, stock]);
  });
}

async function withClient(url: string, work: (client: Client) => Promise<void>): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
