import { Client } from 'pg';
import { createCoupledSchema } from '../../coupled/schema';

/**
 * The coupled baseline's tables, with one change to reservations: one row per line each time a job
 * is applied, with no unique key on the order, as a plain worker's table would have. So an order
 * whose stock was taken twice shows as twice its lines' quantity (and the key does not refuse the
 * second application, which would hide the double delivery this baseline is measured for).
 */
export async function createBullmqSchema(ordersUrl: string, stockUrl: string, stock: number): Promise<void> {
  await createCoupledSchema(ordersUrl, stockUrl, stock);
  const client = new Client({ connectionString: stockUrl });
  await client.connect();
  try {
    await client.query(`
      ALTER TABLE reservations DROP CONSTRAINT reservations_pkey;
      ALTER TABLE reservations ADD COLUMN id bigserial PRIMARY KEY;
      CREATE INDEX reservations_order_id_idx ON reservations (order_id);`);
  } finally {
    await client.end();
  }
}
