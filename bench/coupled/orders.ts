import { Body, Controller, Get, Headers, Inject, Module, Post, ServiceUnavailableException, UnprocessableEntityException } from '@nestjs/common';
import { createOrderRequestSchema, idempotencyKeySchema, type CreateOrderRequest } from '@shop/contracts';
import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { parseOr400, PG_POOL, pgPoolProvider } from './common';

/**
 * The tightly coupled way: inventory is called over HTTP, synchronously, before the order is
 * stored and answered. Its latency is inside ours, and while it is down no order is taken.
 */
@Controller()
class CoupledOrdersController {
  private readonly inventoryUrl = process.env.INVENTORY_URL!;

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  @Get('health/ready')
  ready() {
    return { status: 'ok' };
  }

  @Post('api/orders')
  async placeOrder(@Headers('idempotency-key') rawKey: string | undefined, @Body() body: unknown) {
    const key = parseOr400(idempotencyKeySchema, rawKey);
    const request: CreateOrderRequest = parseOr400(createOrderRequestSchema, body);
    const { rows: products } = await this.pool.query<{ sku: string; name: string; price_cents: number }>(
      `SELECT sku, name, price_cents FROM products WHERE sku = ANY($1::text[])`,
      [request.lines.map((line) => line.sku)],
    );
    const bySku = new Map(products.map((product) => [product.sku, product]));
    const unknown = request.lines.find((line) => !bySku.has(line.sku));
    if (unknown) throw new UnprocessableEntityException(`unknown sku "${unknown.sku}"`);
    const lines = request.lines.map((line) => ({ ...line, name: bySku.get(line.sku)!.name, unitPriceCents: bySku.get(line.sku)!.price_cents }));

    const id = randomUUID();
    await this.reserve(id, request.lines);

    const total = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
    const hash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ created_at: Date }>(
        `INSERT INTO orders (id, customer_name, customer_email, status, total_cents, idempotency_key, request_hash)
         VALUES ($1, $2, $3, 'CONFIRMED', $4, $5, $6) RETURNING created_at`,
        [id, request.customer.name, request.customer.email, total, key, hash],
      );
      await client.query(
        `INSERT INTO order_lines (order_id, sku, product_name, quantity, unit_price_cents) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::int[])`,
        [id, lines.map((l) => l.sku), lines.map((l) => l.name), lines.map((l) => l.quantity), lines.map((l) => l.unitPriceCents)],
      );
      await client.query('COMMIT');
      return { id, status: 'CONFIRMED', totalCents: total, createdAt: rows[0].created_at, lines };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async reserve(orderId: string, lines: CreateOrderRequest['lines']): Promise<void> {
    let response: Response;
    try {
      response = await fetch(`${this.inventoryUrl}/api/reservations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orderId, lines }),
        signal: AbortSignal.timeout(5_000),
      });
    } catch (err) {
      throw new ServiceUnavailableException(`inventory is unreachable: ${(err as Error).message}`);
    }
    const text = await response.text();
    if (response.status === 409) throw new UnprocessableEntityException(JSON.parse(text).message);
    if (!response.ok) throw new ServiceUnavailableException(`inventory answered ${response.status}`);
  }
}

@Module({ controllers: [CoupledOrdersController], providers: [pgPoolProvider] })
export class CoupledOrdersModule {}
