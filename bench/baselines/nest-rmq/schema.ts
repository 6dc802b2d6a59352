import { Client } from 'pg';
import { createCoupledSchema } from '../../coupled/schema';

/**
 * The coupled baseline's tables (same catalog, same stock), except that reservations have no key on
 * the order: the naive consumer has no dedupe, so an order applied twice leaves two sets of rows
 * for the bench to count, where a key would have made the second attempt fail instead.
 */
export async function createNestRmqSchema(ordersUrl: string, stockUrl: string, stock: number): Promise<void> {
  await createCoupledSchema(ordersUrl, stockUrl, stock);
  const client = new Client({ connectionString: stockUrl });
  await client.connect();
  try {
    await client.query(`ALTER TABLE reservations DROP CONSTRAINT reservations_pkey; CREATE INDEX reservations_order_id_idx ON reservations (order_id);`);
  } finally {
    await client.end();
  }
}
