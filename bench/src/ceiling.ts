import { TEST_POSTGRES_URL } from '@shop/testing';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Pool } from 'pg';

const run = promisify(execFile);

/**
 * The transaction POST /api/orders commits (OrdersService.placeOrder), as pgbench replays it:
 * read the catalog prices, insert the order, its lines and the `order.placed` outbox row with its
 * pg_notify. Extended protocol, unnamed statements, like node-postgres.
 */
const PLACE_ORDER = `
BEGIN;
SELECT sku, name, description, price_cents, image_url FROM products WHERE sku IN ('MUG-001', 'TEE-002');
INSERT INTO orders (id, customer_name, customer_email, status, total_cents, idempotency_key, request_hash)
  VALUES (gen_random_uuid(), 'Bench Shopper', 'ceiling@bench.example', 'PENDING', 6400, gen_random_uuid()::text, md5(random()::text) || md5(random()::text))
  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, created_at \\gset
INSERT INTO order_lines (order_id, sku, product_name, quantity, unit_price_cents)
  VALUES (CAST(:id AS uuid), 'MUG-001', 'Stoneware Mug', 2, 1800), (CAST(:id AS uuid), 'TEE-002', 'Organic Cotton Tee', 1, 2900);
WITH queued AS (
  INSERT INTO outbox (id, exchange, routing_key, payload, headers)
  VALUES (gen_random_uuid(), 'shop.orders', 'order.placed',
    json_build_object('schemaVersion', 1, 'orderId', CAST(:id AS text), 'lines', json_build_array(
      json_build_object('sku', 'MUG-001', 'quantity', 2), json_build_object('sku', 'TEE-002', 'quantity', 1)), 'placedAt', now())::jsonb,
    json_build_object('x-correlation-id', CAST(:id AS text))::jsonb)
)
SELECT pg_notify('outbox', '');
COMMIT;
`;

/** pgbench on the orders database, services stopped; the best of 16 and 32 clients, in transactions per second. */
export async function measureCeiling(database: string, pool: Pool, seconds: number, dir: string): Promise<{ tps: number; byClients: Record<string, number> }> {
  const script = join(dir, 'place-order.sql');
  writeFileSync(script, PLACE_ORDER);
  const server = new URL(TEST_POSTGRES_URL);
  const byClients: Record<string, number> = {};
  for (const clients of [16, 32]) {
    const { stdout } = await run(
      'pgbench',
      [
        '-h',
        server.hostname,
        '-p',
        server.port || '5432',
        '-U',
        decodeURIComponent(server.username) || 'postgres',
        '-n',
        '-M',
        'extended',
        '-c',
        String(clients),
        '-j',
        '2',
        '-T',
        String(seconds),
        '-f',
        script,
        database,
      ],
      { maxBuffer: 1 << 20 },
    );
    const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
    if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`);
    byClients[`c${clients}`] = Math.round(tps);
  }
  // The replayed orders are not the shop's: remove them so the relay does not publish them later.
  await pool.query(`DELETE FROM outbox WHERE published_at IS NULL`);
  await pool.query(`DELETE FROM orders WHERE customer_email = 'ceiling@bench.example'`);
  return { tps: Math.max(...Object.values(byClients)), byClients };
}
