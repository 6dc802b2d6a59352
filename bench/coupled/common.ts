// The business code every baseline shares: the coupled shop here, and the BullMQ and Nest RMQ ones
// in bench/baselines. They differ only in how an order gets from the one service to the other, so
// that is all each app's own files show; pricing, storing and reserving are written once, here, so
// that a difference the bench measures between them comes from the transport and nothing else.
import { BadRequestException, Controller, Get, UnprocessableEntityException, type Provider } from '@nestjs/common';
import { createOrderRequestSchema, idempotencyKeySchema, type CreateOrderRequest } from '@shop/contracts';
import { createHash } from 'node:crypto';
import { Pool } from 'pg';
import type { z } from 'zod';

export const PG_POOL = 'PG_POOL';

export function createPgPool(): Pool {
  return new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 20) });
}

export const pgPoolProvider: Provider = { provide: PG_POOL, useFactory: createPgPool };

/** The readiness endpoint the bench waits on before it sends anything to a process. */
@Controller()
export class HealthController {
  @Get('health/ready')
  ready() {
    return { status: 'ok' };
  }
}

export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BadRequestException(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  return parsed.data;
}

/** The `Idempotency-Key` header and the body of `POST /api/orders`, checked against the contract: 400 naming the field. */
export function parseOrderRequest(rawKey: string | undefined, body: unknown): { key: string; request: CreateOrderRequest } {
  return { key: parseOr400(idempotencyKeySchema, rawKey), request: parseOr400(createOrderRequestSchema, body) };
}

export type PricedLine = CreateOrderRequest['lines'][number] & { name: string; unitPriceCents: number };

/** The request's lines with each product's name and price from the catalog; 422 if a sku is not in it. */
export async function priceOrder(pool: Pool, request: CreateOrderRequest): Promise<PricedLine[]> {
  const { rows: products } = await pool.query<{ sku: string; name: string; price_cents: number }>(
    `SELECT sku, name, price_cents FROM products WHERE sku = ANY($1::text[])`,
    [request.lines.map((line) => line.sku)],
  );
  const bySku = new Map(products.map((product) => [product.sku, product]));
  const unknown = request.lines.find((line) => !bySku.has(line.sku));
  if (unknown) throw new UnprocessableEntityException(`unknown sku "${unknown.sku}"`);
  return request.lines.map((line) => ({ ...line, name: bySku.get(line.sku)!.name, unitPriceCents: bySku.get(line.sku)!.price_cents }));
}

export interface NewOrder {
  id: string;
  idempotencyKey: string;
  request: CreateOrderRequest;
  lines: PricedLine[];
  /** CONFIRMED where the stock was taken before the order is stored (coupled), PENDING where a message takes it later. */
  status: 'PENDING' | 'CONFIRMED';
}

/** Stores the order and its lines in one transaction, and returns it as the 201's body. */
export async function insertOrder(pool: Pool, order: NewOrder) {
  const { id, request, lines, status } = order;
  const total = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
  const hash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ created_at: Date }>(
      `INSERT INTO orders (id, customer_name, customer_email, status, total_cents, idempotency_key, request_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at`,
      [id, request.customer.name, request.customer.email, status, total, order.idempotencyKey, hash],
    );
    await client.query(
      `INSERT INTO order_lines (order_id, sku, product_name, quantity, unit_price_cents) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::int[])`,
      [id, lines.map((l) => l.sku), lines.map((l) => l.name), lines.map((l) => l.quantity), lines.map((l) => l.unitPriceCents)],
    );
    await client.query('COMMIT');
    return { id, status, totalCents: total, createdAt: rows[0].created_at, lines };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Takes an order's stock in one transaction, all lines or none: null when reserved, else why not.
 * Nothing here remembers which orders were already applied; the coupled inventory's reservations
 * key refuses a second application, the other baselines' tables deliberately have no such key, so
 * a message delivered twice takes the stock twice and the bench can count it.
 */
export async function reserveStock(pool: Pool, orderId: string, orderLines: { sku: string; quantity: number }[]): Promise<string | null> {
  const lines = [...orderLines].sort((a, b) => a.sku.localeCompare(b.sku)); // fixed lock order: no deadlocks
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const line of lines) {
      const { rowCount } = await client.query(`UPDATE stock SET available = available - $2, updated_at = now() WHERE sku = $1 AND available >= $2`, [
        line.sku,
        line.quantity,
      ]);
      if (rowCount !== 1) {
        await client.query('ROLLBACK');
        return `not enough stock of ${line.sku}`;
      }
    }
    await client.query(`INSERT INTO reservations (order_id, sku, quantity) SELECT $1, * FROM unnest($2::text[], $3::int[])`, [
      orderId,
      lines.map((line) => line.sku),
      lines.map((line) => line.quantity),
    ]);
    await client.query('COMMIT');
    return null;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
