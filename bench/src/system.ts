import type { Pool } from 'pg';
import type { ServiceProcess } from './processes';

/**
 * A way of building the shop that the bench compares: ours (outbox, inbox, RabbitMQ quorum queues)
 * or a baseline a Node team would pick instead (BullMQ on Redis, the Nest RMQ transport). Each takes
 * `POST /api/orders` with the same contract, stores the order PENDING in PostgreSQL, and has a
 * consumer that reserves stock (or rejects) and sends the result back, which the order process
 * records as the order's new status. The bench drives and breaks them all through this shape.
 */
export interface SystemUnderTest {
  /** `ours`, `bullmq`, `nestRmq:defaults`, `nestRmq:ack`: the key its figures are reported under. */
  readonly name: string;
  /** The process that takes `POST /api/orders` (and records the results). */
  readonly orders: ServiceProcess;
  /** The process that reserves stock. */
  readonly consumer: ServiceProcess;
  /** The queue server of this system alone (a private RabbitMQ node, a private Redis), so killing it touches nothing else. */
  readonly queue: QueueServer;
  /**
   * The database holding the orders: a table `orders` with `id` (as the 201 answer's `id`), `status`
   * (PENDING until the consumer's result is recorded), `created_at` (the order committed) and
   * `updated_at` (the result recorded), so POST → processed is `updated_at - created_at` for every system.
   */
  readonly ordersDb: Pool;
  /** The database holding stock and reservations. */
  readonly stockDb: Pool;
  /** What happened to these orders (their ids, as the 201 answers gave them). */
  outcomes(ids: string[]): Promise<Outcomes>;
  /** Everything this system queued is processed (queues empty, nothing in flight), or as far as it ever will be. */
  idle(): Promise<boolean>;
  close(): Promise<void>;
}

export interface QueueServer {
  /** SIGKILL, no warning. */
  kill(): Promise<void>;
  /** Started again on the same port and data directory. */
  start(): Promise<void>;
  /** The process ids (or process groups) to measure its CPU. */
  processGroups(): number[];
}

export interface Outcomes {
  /** Orders whose result was recorded (no longer PENDING). */
  settled: number;
  /** Orders still PENDING: with every process running and the queues idle, these are lost. */
  pending: number;
  /** Orders whose stock was taken more than once (from the stock database's own rows). */
  appliedTwice: number;
  /** Orders that got a 201 but are not in the orders database at all. */
  missing: number;
  /**
   * Stock units taken that no recorded reservation explains (initial stock - available - reserved,
   * over the whole stock database): a double application the per-order rows cannot show. Optional.
   */
  unexplainedUnits?: number;
}
