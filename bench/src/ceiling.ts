import { TEST_POSTGRES_URL } from '@shop/testing';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Pool } from 'pg';

const run = promisify(execFile);

/**
 * The transaction POST /api/orders commits (OrdersService.placeOrder), as pgbench replays it: one
 * statement that inserts the order, its lines and the `order.placed` outbox row. (The catalog read
 * before it is cached by the service.) The service sends it as a named prepared statement (`-M
 * prepared`); `-M extended` (unnamed, planned every time) is measured too, for comparison.
 */
const PLACE_ORDER = `
WITH placed AS (
  INSERT INTO orders (id, customer_name, customer_email, status, total_cents, idempotency_key, request_hash)
  VALUES (gen_random_uuid(), 'Bench Shopper', 'ceiling@bench.example', 'PENDING', 6400, gen_random_uuid()::text, md5(random()::text) || md5(random()::text))
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id, created_at
),
lines AS (
  INSERT INTO order_lines (order_id, sku, product_name, quantity, unit_price_cents)
  SELECT placed.id, line.* FROM placed,
    unnest(ARRAY['MUG-001', 'TEE-002'], ARRAY['Stoneware Mug', 'Organic Cotton Tee'], ARRAY[2, 1], ARRAY[1800, 2900]) AS line
),
queued AS (
  INSERT INTO outbox (id, exchange, routing_key, payload, headers)
  SELECT gen_random_uuid(), 'shop.orders', 'order.placed',
    json_build_object('schemaVersion', 1, 'orderId', placed.id, 'lines', json_build_array(
      json_build_object('sku', 'MUG-001', 'quantity', 2), json_build_object('sku', 'TEE-002', 'quantity', 1)), 'placedAt', now())::jsonb,
    json_build_object('x-correlation-id', placed.id)::jsonb
  FROM placed
)
SELECT created_at FROM placed;
`;

/**
 * pgbench on the orders database, services stopped: the best of 16 and 32 clients, in transactions
 * per second, with the statement prepared (as the service sends it) and planned every time.
 */
export async function measureCeiling(
  database: string,
  pool: Pool,
  seconds: number,
  dir: string,
): Promise<{ tps: number; byClients: Record<string, number>; extendedTps: number }> {
  const script = join(dir, 'place-order.sql');
  writeFileSync(script, PLACE_ORDER);
  const server = new URL(TEST_POSTGRES_URL);
  const byClients: Record<string, number> = {};
  for (const mode of ['prepared', 'extended']) {
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
          mode,
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
      byClients[`${mode}-c${clients}`] = Math.round(tps);
    }
  }
  // The replayed orders are not the shop's: remove them so the relay does not publish them later.
  await pool.query(`DELETE FROM outbox WHERE published_at IS NULL`);
  await pool.query(`DELETE FROM orders WHERE customer_email = 'ceiling@bench.example'`);
  return {
    tps: Math.max(byClients['prepared-c16'], byClients['prepared-c32']),
    extendedTps: Math.max(byClients['extended-c16'], byClients['extended-c32']),
    byClients,
  };
}
