import {
  Body,
  Controller,
  Get,
  Headers,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnModuleDestroy,
  type OnModuleInit,
  Post,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { createOrderRequestSchema, idempotencyKeySchema, type CreateOrderRequest } from '@shop/contracts';
import { Queue, Worker } from 'bullmq';
import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { parseOr400, PG_POOL, pgPoolProvider } from '../../coupled/common';
import {
  defaultJobOptions,
  ORDER_PLACED,
  queueConnection,
  STOCK_RESULTS,
  WORKER_CONCURRENCY,
  workerConnection,
  type OrderPlacedJob,
  type StockResultJob,
} from './common';

const ORDER_PLACED_QUEUE = 'ORDER_PLACED_QUEUE';

const orderPlacedQueueProvider = {
  provide: ORDER_PLACED_QUEUE,
  useFactory: () => {
    const queue = new Queue<OrderPlacedJob>(ORDER_PLACED, { connection: queueConnection, defaultJobOptions });
    queue.on('error', (err) => new Logger(ORDER_PLACED).warn(err.message));
    return queue;
  },
};

/**
 * The way most code does it: the order is committed to PostgreSQL, then a job is added to the queue.
 * Two writes to two stores with nothing tying them: if the process dies (or Redis refuses) between
 * the commit and `queue.add`, the order stays PENDING for good.
 */
@Controller()
class BullmqOrdersController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(ORDER_PLACED_QUEUE) private readonly queue: Queue<OrderPlacedJob>,
  ) {}

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

    // The second write. BullMQ's REST example answers 503 when the add fails; the order above stays committed.
    try {
      await this.queue.add(ORDER_PLACED, { orderId: id, lines: request.lines });
    } catch (err) {
      throw new ServiceUnavailableException(`the order could not be queued: ${(err as Error).message}`);
    }
    return { id, status: 'PENDING', totalCents: total, createdAt, lines };
  }
}

/** Records each stock result as the order's new status. */
@Injectable()
class StockResultsWorker implements OnModuleInit, OnModuleDestroy {
  private worker?: Worker<StockResultJob>;

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  onModuleInit(): void {
    this.worker = new Worker<StockResultJob>(
      STOCK_RESULTS,
      async (job) => {
        await this.pool.query(`UPDATE orders SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1`, [
          job.data.orderId,
          job.data.status,
          job.data.reason,
        ]);
      },
      { connection: workerConnection, concurrency: WORKER_CONCURRENCY },
    );
    this.worker.on('error', (err) => new Logger(STOCK_RESULTS).warn(err.message));
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
  }
}

@Module({ controllers: [BullmqOrdersController], providers: [pgPoolProvider, orderPlacedQueueProvider, StockResultsWorker] })
export class BullmqOrdersModule implements OnModuleDestroy {
  constructor(@Inject(ORDER_PLACED_QUEUE) private readonly queue: Queue<OrderPlacedJob>) {}

  async onModuleDestroy(): Promise<void> {
    await this.queue.close();
  }
}
