import {
  Body,
  Controller,
  Headers,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnModuleDestroy,
  type OnModuleInit,
  Post,
  ServiceUnavailableException,
} from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { HealthController, insertOrder, parseOrderRequest, PG_POOL, pgPoolProvider, priceOrder } from '../../coupled/common';
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

  @Post('api/orders')
  async placeOrder(@Headers('idempotency-key') rawKey: string | undefined, @Body() body: unknown) {
    const { key, request } = parseOrderRequest(rawKey, body);
    const lines = await priceOrder(this.pool, request);
    const id = randomUUID();
    const order = await insertOrder(this.pool, { id, idempotencyKey: key, request, lines, status: 'PENDING' });

    // The second write. BullMQ's REST example answers 503 when the add fails; the order above stays committed.
    try {
      await this.queue.add(ORDER_PLACED, { orderId: id, lines: request.lines });
    } catch (err) {
      throw new ServiceUnavailableException(`the order could not be queued: ${(err as Error).message}`);
    }
    return order;
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

@Module({ controllers: [HealthController, BullmqOrdersController], providers: [pgPoolProvider, orderPlacedQueueProvider, StockResultsWorker] })
export class BullmqOrdersModule implements OnModuleDestroy {
  constructor(@Inject(ORDER_PLACED_QUEUE) private readonly queue: Queue<OrderPlacedJob>) {}

  async onModuleDestroy(): Promise<void> {
    await this.queue.close();
  }
}
