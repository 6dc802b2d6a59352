import { DEMO_CATALOG, QUEUES } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import type { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { drainBacklog } from './drain';
import { offerOrders, placeOrders, round } from './load';
import type { Shop } from './shop';

/**
 * The history seeded before each row of B13: orders as a steady shop leaves them, one every
 * SPACING_MS going back from an hour ago (5M orders span 30 days). The outbox and inbox keep a
 * week (libs/outbox: outboxRetentionHours and inboxRetentionHours, 168 by default, purged hourly by
 * the relay), so only the orders of the last RETENTION_DAYS have their outbox and inbox rows: what
 * retention would have left. Decisions, reservations, releases and the orders' lines are never purged.
 */
const SPACING_MS = 518;
const RETENTION_DAYS = 7;
/**
 * The seeded orders' ids are time-ordered as order-service makes them (UUIDv7: 48 bits of
 * milliseconds, then the version, then random bits), the newest (i = 1) at ID_ANCHOR_MS less
 * SPACING_MS and older ones before it, so the intake measured after seeding adds its keys at the
 * right edge of a big index, as it would in a shop that has always run. The same anchor in every
 * database (not now()), so an order has the same id in each; the random bits from md5 of i.
 */
const ID_ANCHOR_MS = Date.UTC(2026, 0, 1);
const seedOrderId = (i: string) =>
  `(lpad(to_hex(${ID_ANCHOR_MS}::bigint - ${i}::bigint * ${SPACING_MS}), 12, '0') || '7' || substr(md5('seed-order-' || ${i}), 1, 3) || '8' || substr(md5('seed-order-' || ${i}), 4, 15))::uuid`;
/** Orders per seeding statement: a few hundred thousand rows each, so no statement runs for minutes. */
const CHUNK = 250_000;

/**
 * Per 100 orders: 90 CONFIRMED with payment captured, 6 REJECTED by inventory (no stock held, no
 * money), 2 REJECTED for a declined payment (stock given back), 2 CANCELLED after payment (stock given
 * back, refunded). None is left where the stuck-order and undoing indexes would find it.
 */
const KIND = `CASE WHEN i % 100 < 90 THEN 'confirmed' WHEN i % 100 < 96 THEN 'rejected' WHEN i % 100 < 98 THEN 'declined' ELSE 'cancelled' END`;

export interface SeedCatalog {
  skus: string[];
  names: string[];
  prices: number[];
}

const CATALOG: SeedCatalog = {
  skus: DEMO_CATALOG.map((product) => product.sku),
  names: DEMO_CATALOG.map((product) => product.name),
  prices: DEMO_CATALOG.map((product) => product.priceCents),
};

/**
 * Seeded order i (i = 1 is the newest): its id, time, kind and 1-3 lines, the same in every
 * database, as one CTE over generate_series($1, $2) with the catalog in $3 (skus), $4 (names), $5 (prices).
 */
const SEED = `seed AS (
    SELECT i, ${seedOrderId('i')} AS id, ${KIND} AS kind,
           now() - interval '1 hour' - i * interval '${SPACING_MS} milliseconds' AS at,
           'customer-' || (i % 200000) || '@seed.example' AS email
    FROM generate_series($1::int, $2::int) AS i
  ),
  seed_lines AS (
    SELECT seed.id, seed.i, k, ($3::text[])[1 + (seed.i * 7 + k) % cardinality($3::text[])] AS sku,
           ($4::text[])[1 + (seed.i * 7 + k) % cardinality($3::text[])] AS product_name, 1 + (seed.i + k) % 3 AS quantity,
           ($5::int[])[1 + (seed.i * 7 + k) % cardinality($3::text[])] AS unit_price_cents
    FROM seed, generate_series(0, seed.i % 3) AS k
  ),
  seeded AS (
    SELECT seed.*, totals.total, totals.lines_json FROM seed JOIN (
      SELECT id, sum(quantity * unit_price_cents)::int AS total,
             jsonb_agg(jsonb_build_object('sku', sku, 'quantity', quantity, 'unitPriceCents', unit_price_cents) ORDER BY k) AS lines_json
      FROM seed_lines GROUP BY id
    ) totals USING (id)
  )`;

/** A W3C traceparent for a seeded row, as the services store in their outbox headers. */
const traceparent = (key: string) => `'00-' || md5(${key}) || '-' || left(md5('span' || ${key}), 16) || '-01'`;

/** An outbox row's columns from (id, routing_key, exchange, payload, order id, written at). */
const outboxRow = (id: string, routingKey: string, exchange: string, payload: string, orderId: string, at: string) =>
  `SELECT ${id}, '${exchange}', ${routingKey}, ${payload}, jsonb_build_object('x-correlation-id', ${orderId}::text, 'traceparent', ${traceparent(`${orderId}::text`)}),
          ${at}, ${at} + interval '5 milliseconds', 1`;

const OUTBOX_COLUMNS = 'id, exchange, routing_key, payload, headers, created_at, published_at, publish_attempts';

/** The message ids each service published for seeded order i: the same expression in the sender's outbox and the receiver's inbox. */
export const MESSAGE_IDS = {
  placed: `md5('order.placed-' || i)::uuid`,
  /** order.reserved, then order.confirmed / order.rejected / order.cancelled. */
  reserved: `md5('order.reserved-' || i)::uuid`,
  outcome: `md5('order.outcome-' || i)::uuid`,
  /** stock.reserved or stock.rejected. */
  stock: `md5('stock.decided-' || i)::uuid`,
  released: `md5('stock.released-' || i)::uuid`,
  authorized: `md5('payment.authorized-' || i)::uuid`,
  captured: `md5('payment.captured-' || i)::uuid`,
};

/**
 * order-service's database: orders with payment fields, their lines, and for the retained week the
 * outbox (order.placed, order.reserved unless inventory rejected, the outcome) and the inbox of its
 * two consumers (stock results; payment results).
 */
export async function seedOrderService(pool: Pool, from: number, to: number, catalog: SeedCatalog = CATALOG): Promise<void> {
  const params = [from, to, catalog.skus, catalog.names, catalog.prices];
  await pool.query(
    `WITH ${SEED}
     INSERT INTO orders (id, customer_name, customer_email, status, status_reason, total_cents, idempotency_key, request_hash,
                         created_at, updated_at, payment_token, payment_status, payment_reason, stock_released, cancelled_at)
     SELECT id, 'Seed Shopper ' || (i % 200000), email,
            CASE kind WHEN 'confirmed' THEN 'CONFIRMED' WHEN 'cancelled' THEN 'CANCELLED' ELSE 'REJECTED' END,
            CASE kind WHEN 'rejected' THEN 'insufficient stock for ' || ($3::text[])[1 + (i * 7) % cardinality($3::text[])]
                      WHEN 'declined' THEN 'payment declined' END,
            total, 'seed-' || i, md5('request-' || i), at, at + interval '80 milliseconds', 'tok_' || md5('token-' || i),
            CASE kind WHEN 'confirmed' THEN 'captured' WHEN 'declined' THEN 'declined' WHEN 'cancelled' THEN 'refunded' END,
            CASE kind WHEN 'declined' THEN 'card_declined' END,
            kind <> 'confirmed', CASE kind WHEN 'cancelled' THEN at + interval '10 minutes' END
     FROM seeded`,
    params,
  );
  await pool.query(
    `WITH ${SEED}
     INSERT INTO order_lines (order_id, sku, product_name, quantity, unit_price_cents)
     SELECT id, sku, product_name, quantity, unit_price_cents FROM seed_lines`,
    params,
  );
  const retained = `seeded WHERE at > now() - interval '${RETENTION_DAYS} days'`;
  const placedPayload = `jsonb_build_object('schemaVersion', 1, 'orderId', id, 'customer', jsonb_build_object('name', 'Seed Shopper', 'email', email),
    'lines', lines_json, 'totalCents', total,
    'payment', jsonb_build_object('token', 'tok_' || md5('token-' || i)), 'placedAt', at)`;
  const statePayload = (status: string) => `jsonb_build_object('schemaVersion', 1, 'orderId', id, 'status', ${status}, 'at', at)`;
  await pool.query(
    `WITH ${SEED}
     INSERT INTO outbox (${OUTBOX_COLUMNS})
     ${outboxRow(MESSAGE_IDS.placed, `'order.placed'`, 'shop.orders', placedPayload, 'id', 'at')} FROM ${retained}
     UNION ALL ${outboxRow(MESSAGE_IDS.reserved, `'order.reserved'`, 'shop.orders', statePayload(`'RESERVED'`), 'id', `at + interval '20 milliseconds'`)}
       FROM ${retained} AND kind <> 'rejected'
     UNION ALL ${outboxRow(
       MESSAGE_IDS.outcome,
       `CASE kind WHEN 'confirmed' THEN 'order.confirmed' WHEN 'cancelled' THEN 'order.cancelled' ELSE 'order.rejected' END`,
       'shop.orders',
       statePayload(`kind`),
       'id',
       `at + interval '60 milliseconds'`,
     )} FROM ${retained}`,
    params,
  );
  await pool.query(
    `WITH ${SEED}
     INSERT INTO inbox (consumer, message_id, processed_at)
     SELECT '${QUEUES.ordersStockResults}', ${MESSAGE_IDS.stock}::text, at + interval '15 milliseconds' FROM ${retained}
     UNION ALL SELECT '${QUEUES.ordersStockResults}', ${MESSAGE_IDS.released}::text, at + interval '70 milliseconds' FROM ${retained} AND kind IN ('declined', 'cancelled')
     UNION ALL SELECT '${QUEUES.ordersPaymentResults}', ${MESSAGE_IDS.authorized}::text, at + interval '40 milliseconds' FROM ${retained} AND kind <> 'rejected'
     UNION ALL SELECT '${QUEUES.ordersPaymentResults}', ${MESSAGE_IDS.captured}::text, at + interval '90 milliseconds' FROM ${retained} AND kind IN ('confirmed', 'cancelled')`,
    params,
  );
}

/**
 * inventory-service's database: a decision per order, the reservations of the orders that hold
 * stock (confirmed), the releases of the others that reserved (declined, cancelled), and for the
 * retained week its outbox (the decision, the release) and the inbox of its two consumers.
 */
export async function seedInventoryService(pool: Pool, from: number, to: number, catalog: SeedCatalog = CATALOG): Promise<void> {
  const params = [from, to, catalog.skus, catalog.names, catalog.prices];
  await pool.query(
    `WITH ${SEED}
     INSERT INTO order_decisions (order_id, outcome, sku, reason, decided_at)
     SELECT id, CASE kind WHEN 'rejected' THEN 'rejected' ELSE 'reserved' END,
            CASE kind WHEN 'rejected' THEN ($3::text[])[1 + (i * 7) % cardinality($3::text[])] END,
            CASE kind WHEN 'rejected' THEN 'insufficient_stock' END, at + interval '10 milliseconds'
     FROM seed`,
    params,
  );
  await pool.query(
    `WITH ${SEED}
     INSERT INTO reservations (order_id, sku, quantity, created_at)
     SELECT l.id, l.sku, l.quantity, seed.at + interval '10 milliseconds' FROM seed_lines l JOIN seed USING (id) WHERE seed.kind = 'confirmed'`,
    params,
  );
  await pool.query(
    `WITH ${SEED}
     INSERT INTO order_releases (order_id, released_at, lines)
     SELECT id, at + interval '10 minutes', lines_json FROM seeded WHERE kind IN ('declined', 'cancelled')`,
    params,
  );
  const retained = `seeded WHERE at > now() - interval '${RETENTION_DAYS} days'`;
  const payload = (extra: string) => `jsonb_build_object('schemaVersion', 1, 'orderId', id, ${extra}, 'at', at)`;
  await pool.query(
    `WITH ${SEED}
     INSERT INTO outbox (${OUTBOX_COLUMNS})
     ${outboxRow(
       MESSAGE_IDS.stock,
       `CASE kind WHEN 'rejected' THEN 'stock.rejected' ELSE 'stock.reserved' END`,
       'shop.inventory',
       payload(`'outcome', kind`),
       'id',
       `at + interval '10 milliseconds'`,
     )} FROM ${retained}
     UNION ALL ${outboxRow(MESSAGE_IDS.released, `'stock.released'`, 'shop.inventory', payload(`'released', true`), 'id', `at + interval '10 minutes'`)}
       FROM ${retained} AND kind IN ('declined', 'cancelled')`,
    params,
  );
  await pool.query(
    `WITH ${SEED}
     INSERT INTO inbox (consumer, message_id, processed_at)
     SELECT '${QUEUES.inventoryOrderPlaced}', ${MESSAGE_IDS.placed}::text, at + interval '8 milliseconds' FROM ${retained}
     UNION ALL SELECT '${QUEUES.inventoryOrderReleases}', ${MESSAGE_IDS.outcome}::text, at + interval '10 minutes' FROM ${retained} AND kind IN ('declined', 'cancelled')`,
    params,
  );
}

/**
 * payment-service's database: a payment per order that reached payment (captured, declined, or
 * refunded after a cancel), and for the retained week its outbox (the authorization's answer, the
 * capture) and the inbox of its one consumer (order.reserved, then order.confirmed or order.cancelled).
 */
/** The provider's authorization id of seeded order i, the same in its payment row and its events. */
const AUTHORIZATION_ID = `'auth_' || left(md5('authorization-' || i), 16)`;

export async function seedPaymentService(pool: Pool, from: number, to: number, catalog: SeedCatalog = CATALOG): Promise<void> {
  const params = [from, to, catalog.skus, catalog.names, catalog.prices];
  await pool.query(
    `WITH ${SEED}
     INSERT INTO payments (order_id, status, authorization_id, amount_cents, currency, decline_code, decline_reason,
                           created_at, authorized_at, captured_at, refunded_at, updated_at)
     SELECT id, CASE kind WHEN 'confirmed' THEN 'captured' WHEN 'declined' THEN 'declined' ELSE 'refunded' END,
            ${AUTHORIZATION_ID}, total, 'USD',
            CASE kind WHEN 'declined' THEN 'card_declined' END, CASE kind WHEN 'declined' THEN 'The card was declined.' END,
            at + interval '20 milliseconds', at + interval '30 milliseconds',
            CASE WHEN kind IN ('confirmed', 'cancelled') THEN at + interval '70 milliseconds' END,
            CASE kind WHEN 'cancelled' THEN at + interval '10 minutes' END,
            CASE kind WHEN 'cancelled' THEN at + interval '10 minutes' ELSE at + interval '70 milliseconds' END
     FROM seeded WHERE kind <> 'rejected'`,
    params,
  );
  const retained = `seeded WHERE at > now() - interval '${RETENTION_DAYS} days'`;
  const payload = (extra: string) => `jsonb_build_object('schemaVersion', 1, 'orderId', id, 'amountCents', total, 'currency', 'USD', ${extra}, 'at', at)`;
  await pool.query(
    `WITH ${SEED}
     INSERT INTO outbox (${OUTBOX_COLUMNS})
     ${outboxRow(
       MESSAGE_IDS.authorized,
       `CASE kind WHEN 'declined' THEN 'payment.declined' ELSE 'payment.authorized' END`,
       'shop.payments',
       payload(`'authorizationId', ${AUTHORIZATION_ID}`),
       'id',
       `at + interval '30 milliseconds'`,
     )} FROM ${retained} AND kind <> 'rejected'
     UNION ALL ${outboxRow(MESSAGE_IDS.captured, `'payment.captured'`, 'shop.payments', payload(`'authorizationId', ${AUTHORIZATION_ID}`), 'id', `at + interval '70 milliseconds'`)}
       FROM ${retained} AND kind IN ('confirmed', 'cancelled')`,
    params,
  );
  await pool.query(
    `WITH ${SEED}
     INSERT INTO inbox (consumer, message_id, processed_at)
     SELECT '${QUEUES.paymentsOrderPayments}', ${MESSAGE_IDS.reserved}::text, at + interval '25 milliseconds' FROM ${retained} AND kind <> 'rejected'
     UNION ALL SELECT '${QUEUES.paymentsOrderPayments}', ${MESSAGE_IDS.outcome}::text, at + interval '65 milliseconds' FROM ${retained} AND kind IN ('confirmed', 'cancelled')`,
    params,
  );
}

/**
 * notification-service's database: its sent log, never purged: the receipt for every order
 * (order.placed) and the email of its outcome (confirmed, rejected or cancelled).
 */
export async function seedNotificationService(pool: Pool, from: number, to: number, catalog: SeedCatalog = CATALOG): Promise<void> {
  await pool.query(
    `WITH ${SEED}
     INSERT INTO sent_emails (message_id, order_id, kind, recipient, status, smtp_response, email_message_id, sent_at)
     SELECT ${MESSAGE_IDS.placed}::text, id, 'received', email, 'sent', '250 Accepted', '<received-' || id || '@shop.example>', at + interval '40 milliseconds'
     FROM seeded
     UNION ALL
     SELECT ${MESSAGE_IDS.outcome}::text, id, CASE kind WHEN 'confirmed' THEN 'confirmed' WHEN 'cancelled' THEN 'cancelled' ELSE 'rejected' END,
            email, 'sent', '250 Accepted', '<outcome-' || id || '@shop.example>', at + interval '90 milliseconds'
     FROM seeded`,
    [from, to, catalog.skus, catalog.names, catalog.prices],
  );
}

/** One database's seeding: `seed(from, to)` adds seeded orders from..to (1-based, inclusive). */
export type Seeder = { name: string; pool: Pool; seed: (pool: Pool, from: number, to: number) => Promise<void> };

export function shopSeeders(shop: Shop): Seeder[] {
  return [
    { name: 'orders', pool: shop.ordersDb, seed: (pool, from, to) => seedOrderService(pool, from, to) },
    { name: 'inventory', pool: shop.inventoryDb, seed: (pool, from, to) => seedInventoryService(pool, from, to) },
    { name: 'payments', pool: shop.paymentsDb, seed: (pool, from, to) => seedPaymentService(pool, from, to) },
    { name: 'notifications', pool: shop.notificationsDb, seed: (pool, from, to) => seedNotificationService(pool, from, to) },
  ];
}

export interface GrowthRow {
  storedOrders: number;
  /** Seconds to seed this row's new orders into every database, VACUUM ANALYZE included. */
  seedSeconds: number;
  /** MiB of each database after seeding. */
  databaseMb: Record<string, number>;
  intakeRps: number;
  intakeP99ms: number;
  drainPerSecond: number;
  e2eP50ms: number;
  e2eP99ms: number;
}

export interface GrowthResult {
  rows: GrowthRow[];
  /** Each row against the first (no stored orders): intake rps, drain/s, POST → final p99. */
  ratios: Record<string, { intakeRps: number; drainPerSecond: number; e2eP99ms: number }>;
  /** EXPLAIN (ANALYZE, BUFFERS) of the hot statements at the largest size: execution ms and the plan's first lines. */
  explain: Record<string, { executionMs: number; plan: string[] }>;
}

export interface GrowthPlan {
  sizes: number[];
  seconds: number;
  warmupSeconds: number;
  e2eSeconds: number;
  drainOrders: number;
  settleTimeoutMs: number;
}

/**
 * B13: intake at 32 connections (inventory up), the drain of a backlog, and POST → final p50/p99
 * at 100/s, with `sizes` orders already stored (seeded in SQL into every database, services stopped
 * meanwhile), then EXPLAIN of the hot statements at the largest size.
 */
export async function measureGrowth(shop: Shop, plan: GrowthPlan, log: (message: string) => void): Promise<GrowthResult> {
  const seeders = shopSeeders(shop);
  const rows: GrowthRow[] = [];
  let stored = 0;
  for (const size of plan.sizes) {
    const label = `growth-${size}`;
    const startedAt = Date.now();
    if (size > stored) {
      await shop.stopAll();
      for (let from = stored + 1; from <= size; from += CHUNK) {
        const to = Math.min(size, from + CHUNK - 1);
        await Promise.all(seeders.map((seeder) => seeder.seed(seeder.pool, from, to)));
      }
      await Promise.all(seeders.map((seeder) => seeder.pool.query('VACUUM ANALYZE')));
      stored = size;
      await shop.startAll();
    }
    const seedSeconds = round((Date.now() - startedAt) / 1000, 1);
    const databaseMb: Record<string, number> = {};
    for (const seeder of seeders) {
      const { rows: mb } = await seeder.pool.query<{ mb: number }>(`SELECT round(pg_database_size(current_database()) / 1048576.0)::int AS mb`);
      databaseMb[seeder.name] = mb[0].mb;
    }
    log(`B13 growth: ${size} orders stored (seeded in ${seedSeconds} s; ${JSON.stringify(databaseMb)} MiB)`);

    await placeOrders({ url: shop.orders.url, connections: 16, seconds: plan.warmupSeconds, tag: 'warmup' });
    await shop.quiesce();
    const intake = await placeOrders({ url: shop.orders.url, connections: 32, seconds: plan.seconds, tag: `${label}-intake` });
    await shop.quiesce();
    const drain = await drainBacklog(shop, `${label}-drain`, plan.drainOrders, plan.settleTimeoutMs);
    await shop.quiesce();
    const tag = `${label}-e2e`;
    await offerOrders({ url: shop.orders.url, rate: 100, seconds: plan.e2eSeconds, tag });
    await waitFor(async () => (await shop.pendingOrders(`${tag}@bench.example`)) === 0, {
      timeoutMs: plan.settleTimeoutMs,
      intervalMs: 250,
      what: `${tag} orders to settle`,
    });
    const e2e = await shop.confirmationLatency(`${tag}@bench.example`);
    await shop.quiesce();
    const row: GrowthRow = {
      storedOrders: size,
      seedSeconds,
      databaseMb,
      intakeRps: intake.rps,
      intakeP99ms: intake.p99ms,
      drainPerSecond: drain.perSecond,
      e2eP50ms: e2e.p50ms,
      e2eP99ms: e2e.p99ms,
    };
    log(`B13 growth at ${size}: ${JSON.stringify(row)}`);
    rows.push(row);
  }
  const base = rows[0];
  const ratios = Object.fromEntries(
    rows.slice(1).map((row) => [
      `s${row.storedOrders}`,
      {
        intakeRps: round(row.intakeRps / base.intakeRps),
        drainPerSecond: round(row.drainPerSecond / base.drainPerSecond),
        e2eP99ms: round(row.e2eP99ms / base.e2eP99ms),
      },
    ]),
  );
  return { rows, ratios, explain: await explainHotStatements(shop) };
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the statements every order runs, and of the periodic ones, as the
 * services send them (their SQL copied from the repositories); writes are rolled back.
 */
export async function explainHotStatements(shop: Shop): Promise<GrowthResult['explain']> {
  const explained: GrowthResult['explain'] = {};
  const explain = async (name: string, pool: Pool, sql: string, params: unknown[] = []) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
      const plan = rows.map((row) => row['QUERY PLAN']);
      const execution = plan.find((line) => line.startsWith('Execution Time'));
      explained[name] = { executionMs: Number(/([\d.]+) ms/.exec(execution ?? '')?.[1] ?? NaN), plan: plan.slice(0, 14) };
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  };
  const order = uuidv7();
  const known = (await shop.ordersDb.query<{ id: string }>(`SELECT ${seedOrderId('1')} AS id`)).rows[0].id;
  await explain(
    'intake: order, lines and outbox row',
    shop.ordersDb,
    `WITH placed AS (
       INSERT INTO orders (id, customer_name, customer_email, status, total_cents, idempotency_key, request_hash, payment_token)
       VALUES ($1, 'Explain', 'explain@bench.example', 'PENDING', 100, 'explain-key', 'h', 'tok') ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, created_at),
     lines AS (INSERT INTO order_lines (order_id, sku, product_name, quantity, unit_price_cents) SELECT placed.id, $2, 'x', 1, 100 FROM placed),
     queued AS (INSERT INTO outbox (id, exchange, routing_key, payload, headers)
       SELECT $1, 'shop.orders', 'order.placed', '{}'::jsonb, jsonb_build_object('x-correlation-id', $1::text) FROM placed)
     SELECT created_at FROM placed`,
    [order, DEMO_CATALOG[0].sku],
  );
  const claim = `SELECT id, exchange, routing_key, payload, headers, created_at, refusals, message_id, message_type FROM outbox
    WHERE published_at IS NULL AND parked_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now())
    ORDER BY created_at LIMIT 200 FOR UPDATE SKIP LOCKED`;
  await explain('relay claim (orders)', shop.ordersDb, claim);
  await explain('relay claim (inventory)', shop.inventoryDb, claim);
  const inbox = `INSERT INTO inbox (consumer, message_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING message_id`;
  await explain('inbox claim (orders.stock-results)', shop.ordersDb, inbox, [QUEUES.ordersStockResults, ['explain-a', 'explain-b']]);
  await explain('inbox claim (inventory.order-placed)', shop.inventoryDb, inbox, [QUEUES.inventoryOrderPlaced, ['explain-a', 'explain-b']]);
  await explain(
    'saga state lock (orders)',
    shop.ordersDb,
    `SELECT id, status, status_reason, payment_status, payment_reason, stock_released FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
    [[known]],
  );
  await explain(
    'decision records (inventory)',
    shop.inventoryDb,
    `SELECT d.order_id, d.outcome, d.sku, d.reason, d.decided_at, r.released_at, r.lines AS released,
            ARRAY(SELECT json_build_object('sku', s.sku, 'quantity', s.quantity) FROM reservations s WHERE s.order_id = d.order_id ORDER BY s.sku) AS held
     FROM order_decisions d LEFT JOIN order_releases r ON r.order_id = d.order_id WHERE d.order_id = ANY($1::uuid[])`,
    [[known, order]],
  );
  await explain(
    'stuck orders count',
    shop.ordersDb,
    `SELECT (SELECT count(*) FROM orders WHERE status = 'PENDING' AND created_at < now() - make_interval(secs => 60))
          + (SELECT count(*) FROM orders WHERE status = 'RESERVED' AND updated_at < now() - make_interval(secs => 60))
          + (SELECT count(*) FROM orders WHERE ((status IN ('REJECTED', 'CANCELLED') AND (NOT stock_released OR payment_status IN ('authorized', 'captured')))
              OR (status = 'CONFIRMED' AND payment_status = 'authorized')) AND updated_at < now() - make_interval(secs => 60)) AS count`,
  );
  await explain(
    'outbox backlog gauge (orders)',
    shop.ordersDb,
    `SELECT count(*)::int AS backlog, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest_age_seconds,
       (SELECT count(*)::int FROM outbox WHERE parked_at IS NOT NULL) AS parked
     FROM outbox WHERE published_at IS NULL AND parked_at IS NULL`,
  );
  // libs/outbox's RETENTION_STATEMENTS with the default week and batch (the bench does not depend on that lib).
  const purgeOutbox = `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_at < now() - make_interval(hours => 168) LIMIT 5000)`;
  const purgeInbox = `DELETE FROM inbox WHERE ctid = ANY(ARRAY(SELECT ctid FROM inbox WHERE processed_at < now() - make_interval(hours => 168) LIMIT 5000))`;
  await explain('retention: outbox purge (orders)', shop.ordersDb, purgeOutbox);
  await explain('retention: inbox purge (orders)', shop.ordersDb, purgeInbox);
  await explain('retention: outbox purge (inventory)', shop.inventoryDb, purgeOutbox);
  await explain('retention: inbox purge (inventory)', shop.inventoryDb, purgeInbox);
  await explain("a shopper's orders (orders)", shop.ordersDb, `SELECT * FROM orders WHERE customer_email = $1 ORDER BY created_at DESC LIMIT 50`, [
    'customer-42@seed.example',
  ]);
  return explained;
}
