import { Inject, Injectable, Logger, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import { Pool } from 'pg';
import { HealthController, PG_POOL, pgPoolProvider, reserveStock } from '../../coupled/common';
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

/**
 * The stock consumer as a BullMQ worker would be written: each job reserves the order's stock in one
 * transaction, then adds the result to the second queue. BullMQ delivers at least once (a job whose
 * worker died is run again once it is seen as stalled), and nothing here remembers which orders were
 * already applied, so a job run twice takes the stock twice: that is what the bench counts.
 */
@Injectable()
class OrderPlacedWorker implements OnModuleInit, OnModuleDestroy {
  private readonly results = new Queue<StockResultJob>(STOCK_RESULTS, { connection: queueConnection, defaultJobOptions });
  private worker?: Worker<OrderPlacedJob>;

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  onModuleInit(): void {
    this.results.on('error', (err) => new Logger(STOCK_RESULTS).warn(err.message));
    this.worker = new Worker<OrderPlacedJob>(ORDER_PLACED, (job) => this.process(job), { connection: workerConnection, concurrency: WORKER_CONCURRENCY });
    this.worker.on('error', (err) => new Logger(ORDER_PLACED).warn(err.message));
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
    await this.results.close();
  }

  private async process(job: Job<OrderPlacedJob>): Promise<void> {
    const reason = await reserveStock(this.pool, job.data.orderId, job.data.lines);
    await this.results.add(STOCK_RESULTS, { orderId: job.data.orderId, status: reason ? 'REJECTED' : 'CONFIRMED', reason });
  }
}

/** The consumer process: the worker, and a readiness endpoint for the bench to wait on. */
@Module({ controllers: [HealthController], providers: [pgPoolProvider, OrderPlacedWorker] })
export class BullmqConsumerModule {}
