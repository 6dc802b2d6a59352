import { Body, Controller, Get, Headers, Inject, Module, type OnApplicationBootstrap, Post, UnprocessableEntityException } from '@nestjs/common';
import { ClientProxy, ClientsModule, Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { createOrderRequestSchema, idempotencyKeySchema, type CreateOrderRequest } from '@shop/contracts';
import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { lastValueFrom } from 'rxjs';
import { parseOr400 } from '../../coupled/common';
import { PG_POOL, pgPoolProvider } from './db';
import { ORDERS_QUEUE, rmqClientOptions, settingFromEnv, type OrderPlaced, type StockResult } from './settings';

const STOCK_SERVICE = 'STOCK_SERVICE';
const setting = settingFromEnv();

/**
 * Orders the way the Nest RMQ transport's documentation leads to: the order is committed PENDING,
 * then `ClientProxy.emit` sends `order_placed`. Two writes, to two systems, with nothing tying
 * them: an order committed by a process that dies (or a broker that is away) before the emit is
 * PENDING for ever.
 */
@Controller()
class OrdersController implements OnApplicationBootstrap {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(STOCK_SERVICE) private readonly stock: ClientProxy,
  ) {}

  /** As the docs suggest: connect at startup rather than on the first emit. */
  async onApplicationBootstrap(): Promise<void> {
    await this.stock.connect();
  }

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
    const total = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
    const hash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const client = await this.pool.connect();
    let createdAt: Date;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ created_at: Date }>(
        `INSERT INTO orders (id, customer_name, customer_email, status, total_cents, idempotency_key, request_hash)
         VALUES ($1, $2, $3, 'PENDING', $4, $5, $6) RETURNING created_at`,
        [id, request.customer.name, request.customer.email, total, key, hash],
      );
      await client.query(
        `INSERT INTO order_lines (order_id, sku, product_name, quantity, unit_price_cents) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::int[])`,
        [id, lines.map((l) => l.sku), lines.map((l) => l.name), lines.map((l) => l.quantity), lines.map((l) => l.unitPriceCents)],
      );
      await client.query('COMMIT');
      createdAt = rows[0].created_at;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }

    // The dual write. `emit` returns a hot observable: it publishes whether or not anyone subscribes.
    const event: OrderPlaced = { orderId: id, lines: request.lines.map(({ sku, quantity }) => ({ sku, quantity })) };
    const emitted = this.stock.emit('order_placed', event);
    // With the defaults, as the docs show it, nobody waits: a failed publish goes unnoticed. The
    // careful setting waits for the broker's confirm, so a failed publish is a 500, not a 201.
    if (setting === 'ack') await lastValueFrom(emitted, { defaultValue: undefined });
    return { id, status: 'PENDING', totalCents: total, createdAt, lines };
  }
}

/** The orders app is a hybrid application too: it consumes the stock results and records them. */
@Controller()
class StockResultsController {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  @EventPattern('stock_result')
  async recordResult(@Payload() result: StockResult, @Ctx() context: RmqContext): Promise<void> {
    await this.pool.query(`UPDATE orders SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1`, [
      result.orderId,
      result.status,
      result.reason ?? null,
    ]);
    if (setting === 'ack') {
      const channel = context.getChannelRef();
      channel.ack(context.getMessage());
    }
  }
}

@Module({
  imports: [ClientsModule.register([{ name: STOCK_SERVICE, ...rmqClientOptions(setting, ORDERS_QUEUE) }])],
  controllers: [OrdersController, StockResultsController],
  providers: [pgPoolProvider],
})
export class NestRmqOrdersModule {}
