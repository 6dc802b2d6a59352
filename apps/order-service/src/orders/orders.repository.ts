import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { OrderStatus } from '@shop/contracts';
import type { SagaOrder } from './apply-saga-events';
import { traceparentForNewEvent } from '@shop/messaging';
import { OutboxService, type OutboxEvent } from '@shop/outbox';
import { isTransientDatabaseError, singletonMetric } from '@shop/platform';
import { Counter, Histogram } from 'prom-client';
import type { EntityManager } from 'typeorm';
import type { Order } from './order.entity';
import type { OrderStatusRow } from './order.view';
import type { PricedLine } from './pricing';

/**
 * An order final in status whose compensation or capture is still due: stock not given back or
 * money still held after a rejection or cancel, or a confirmed order never captured. The same
 * predicate as the partial index orders_undoing_idx, so counting them reads that index.
 */
export const UNDOING = `((status IN ('REJECTED', 'CANCELLED') AND (NOT stock_released OR payment_status IN ('authorized', 'captured')))
  OR (status = 'CONFIRMED' AND payment_status = 'authorized'))`;

/** An order's columns under the entity's names, with its lines (by sku) as one JSON array. */
const ORDER_COLUMNS = `o.id, o.customer_name AS "customerName", o.customer_email AS "customerEmail", o.status, o.status_reason AS "statusReason",
  o.total_cents AS "totalCents", o.idempotency_key AS "idempotencyKey", o.request_hash AS "requestHash", o.payment_token AS "paymentToken",
  o.payment_status AS "paymentStatus", o.payment_reason AS "paymentReason", o.stock_released AS "stockReleased",
  o.cancelled_at AS "cancelledAt", o.created_at AS "createdAt", o.updated_at AS "updatedAt",
  COALESCE((SELECT json_agg(json_build_object('orderId', l.order_id, 'sku', l.sku, 'productName', l.product_name, 'quantity', l.quantity,
                                              'unitPriceCents', l.unit_price_cents) ORDER BY l.sku)
            FROM order_lines l WHERE l.order_id = o.id), '[]') AS lines`;

/** Channel on which every status change is announced at commit (read by OrderStatusStream). */
export const ORDER_STATUS_CHANNEL = 'order_status';

export interface NewOrder {
  id: string;
  customerName: string;
  customerEmail: string;
  totalCents: number;
  idempotencyKey: string;
  requestHash: string;
  paymentToken: string;
}

/** INTAKE_BATCH_MAX: orders stored together in one statement at most (1: one statement per order). */
export const INTAKE_BATCH_MAX = Symbol('INTAKE_BATCH_MAX');

const intakeBatchSize = singletonMetric(
  'order_intake_batch_size',
  () =>
    new Histogram({
      name: 'order_intake_batch_size',
      help: 'Orders per intake statement that completed (group commit: the orders that arrived while the previous statement was in flight)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000],
    }),
);

const intakeBatchesFailed = singletonMetric(
  'order_intake_batches_failed_total',
  () =>
    new Counter({
      name: 'order_intake_batches_failed_total',
      help: 'Intake statements of several orders that the database refused (each order was then stored alone, so only a bad one failed)',
    }),
);

/** An order waiting for its statement: resolved with its creation time, or null when its idempotency key was taken. */
interface QueuedOrder {
  order: NewOrder;
  lines: PricedLine[];
  placed: OutboxEvent;
  resolve: (createdAt: Date | null) => void;
  reject: (err: unknown) => void;
}

/**
 * The SQL of orders. The order's intake is one statement of its own; every other method runs on the
 * manager it is given, inside that caller's transaction when it has one.
 */
@Injectable()
export class OrdersRepository {
  private readonly logger = new Logger(OrdersRepository.name);
  /** Orders waiting for the next intake statement. */
  private queue: QueuedOrder[] = [];
  /** Intake statements in flight. */
  private inFlight = 0;

  constructor(
    private readonly outbox: OutboxService,
    // Optional: a module that only reads orders (operations) has no intake; it then stores one order per statement.
    @Optional() @Inject(INTAKE_BATCH_MAX) private readonly batchMax: number = 1,
  ) {}

  /**
   * Stores a PENDING order, its lines and its `order.placed` outbox row in one statement (so one
   * transaction and one round trip), unless the idempotency key is taken: then nothing is written.
   * Returns the order's creation time once it committed, or null if the key was taken.
   *
   * Group commit: an order that arrives while another intake statement is in flight waits for it to
   * return, then leaves with every order that arrived meanwhile (up to INTAKE_BATCH_MAX) in one
   * statement; a full batch leaves at once. A lone order never waits, and no order waits on a timer:
   * at most one round trip. Each order still commits (or fails) as its own would.
   */
  insertOrder(order: NewOrder, lines: PricedLine[], placed: OutboxEvent): Promise<Date | null> {
    if (this.batchMax === 1) return this.insertOne(order, lines, placed);
    // The order's trace context is taken now, in its own request: the statement that stores it may
    // leave from another request's context (whichever flushed the batch), and its outbox row must
    // continue this order's trace, not that one's.
    const traced = { ...placed, traceparent: traceparentForNewEvent(placed.traceparent) };
    return new Promise((resolve, reject) => {
      this.queue.push({ order, lines, placed: traced, resolve, reject });
      if (this.inFlight === 0 || this.queue.length >= this.batchMax) this.flush();
    });
  }

  /** Sends the waiting orders (up to INTAKE_BATCH_MAX) in one statement; when it returns, the next batch leaves. */
  private flush(): void {
    const batch = this.queue.splice(0, this.batchMax);
    if (batch.length === 0) return;
    this.inFlight++;
    const done = batch.length === 1 ? this.settleOne(batch[0]) : this.insertBatch(batch);
    void done.finally(() => {
      this.inFlight--;
      if (this.queue.length > 0) this.flush();
    });
  }

  private async settleOne(queued: QueuedOrder): Promise<void> {
    try {
      queued.resolve(await this.insertOne(queued.order, queued.lines, queued.placed));
    } catch (err) {
      queued.reject(err);
    }
  }

  /**
   * Several orders in one statement. When the statement fails for something in it (a value the
   * database refuses, a constraint), nothing of it was written: each order is then stored alone, so
   * only the bad one fails, with its own error. When the database is unreachable, all fail with it.
   */
  private async insertBatch(batch: QueuedOrder[]): Promise<void> {
    let inserted: Map<string, Date>;
    try {
      inserted = await this.insertMany(batch);
    } catch (err) {
      intakeBatchesFailed.inc();
      if (isTransientDatabaseError(err)) {
        for (const queued of batch) queued.reject(err);
        return;
      }
      // Said loudly: a statement that always fails (a bug in it) would otherwise only cost a round trip per order.
      this.logger.warn(`an intake statement of ${batch.length} orders failed (${(err as Error).message}): storing each order alone`);
      await Promise.all(batch.map((queued) => this.settleOne(queued)));
      return;
    }
    for (const queued of batch) queued.resolve(inserted.get(queued.order.id) ?? null);
  }

  /**
   * The batch statement: the orders, their lines (each with its order's id) and their outbox rows as
   * arrays (unnest), so its text is the same for any batch and it stays one prepared statement. Each
   * order whose idempotency key is taken (also by an earlier order of the same batch) is skipped with
   * its lines and outbox row. Returns the creation time of each order inserted, by id.
   */
  private async insertMany(batch: QueuedOrder[]): Promise<Map<string, Date>> {
    const orders = batch.map((queued) => queued.order);
    const lines = batch.flatMap((queued) => queued.lines.map((line) => ({ orderId: queued.order.id, line })));
    const { rows } = await this.outbox.addManyInStatement<{ id: string; created_at: Date }>({
      name: 'insert-orders',
      events: batch.map((queued) => ({ key: queued.order.id, event: queued.placed })),
      text: (insertOutboxRows) => `WITH placed AS (
         INSERT INTO orders (id, customer_name, customer_email, status, total_cents, idempotency_key, request_hash, payment_token)
         SELECT id, customer_name, customer_email, 'PENDING', total_cents, idempotency_key, request_hash, payment_token
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY
           AS incoming (id, customer_name, customer_email, total_cents, idempotency_key, request_hash, payment_token, position)
         ORDER BY position
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING id, created_at
       ),
       lines AS (
         INSERT INTO order_lines (order_id, sku, product_name, quantity, unit_price_cents)
         SELECT line.order_id, line.sku, line.product_name, line.quantity, line.unit_price_cents
         FROM unnest($8::uuid[], $9::text[], $10::text[], $11::int[], $12::int[]) AS line (order_id, sku, product_name, quantity, unit_price_cents)
         JOIN placed ON placed.id = line.order_id
       ),
       queued AS (${insertOutboxRows('placed', 'id')})
       SELECT id, created_at FROM placed`,
      values: [
        orders.map((order) => order.id),
        orders.map((order) => order.customerName),
        orders.map((order) => order.customerEmail),
        orders.map((order) => order.totalCents),
        orders.map((order) => order.idempotencyKey),
        orders.map((order) => order.requestHash),
        orders.map((order) => order.paymentToken),
        lines.map(({ orderId }) => orderId),
        lines.map(({ line }) => line.sku),
        lines.map(({ line }) => line.productName),
        lines.map(({ line }) => line.quantity),
        lines.map(({ line }) => line.unitPriceCents),
      ],
    });
    intakeBatchSize.observe(batch.length);
    return new Map(rows.map((row) => [row.id, row.created_at]));
  }

  /** One order in its own statement (INTAKE_BATCH_MAX=1, a lone order, or an order of a failed batch). */
  private async insertOne(order: NewOrder, lines: PricedLine[], placed: OutboxEvent): Promise<Date | null> {
    // A named (prepared) statement: planned once per connection, then only bound and executed. The
    // database does about twice as many of these per second (pgbench -M prepared against extended).
    const { rows: inserted } = await this.outbox.addInStatement<{ created_at: Date }>({
      name: 'insert-order',
      event: placed,
      text: (insertOutboxRow) => `WITH placed AS (
         INSERT INTO orders (id, customer_name, customer_email, status, total_cents, idempotency_key, request_hash, payment_token)
         VALUES ($1, $2, $3, 'PENDING', $4, $5, $6, $11)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING id, created_at
       ),
       lines AS (
         INSERT INTO order_lines (order_id, sku, product_name, quantity, unit_price_cents)
         SELECT placed.id, line.* FROM placed, unnest($7::text[], $8::text[], $9::int[], $10::int[]) AS line
       ),
       queued AS (${insertOutboxRow('placed')})
       SELECT created_at FROM placed`,
      values: [
        order.id,
        order.customerName,
        order.customerEmail,
        order.totalCents,
        order.idempotencyKey,
        order.requestHash,
        lines.map((line) => line.sku),
        lines.map((line) => line.productName),
        lines.map((line) => line.quantity),
        lines.map((line) => line.unitPriceCents),
        order.paymentToken,
      ],
    });
    intakeBatchSize.observe(1);
    return inserted[0]?.created_at ?? null;
  }

  findById(manager: EntityManager, id: string): Promise<Order | null> {
    return this.selectOrders(manager, `o.id = $1`, [id]).then((orders) => orders[0] ?? null);
  }

  findByIdempotencyKey(manager: EntityManager, idempotencyKey: string): Promise<Order | null> {
    return this.selectOrders(manager, `o.idempotency_key = $1`, [idempotencyKey]).then((orders) => orders[0] ?? null);
  }

  findByEmail(manager: EntityManager, email: string, limit: number): Promise<Order[]> {
    return this.selectOrders(manager, `o.customer_email = $1 ORDER BY o.created_at DESC LIMIT $2`, [email, limit]);
  }

  /** These orders with their lines, in the caller's transaction (the orders it just changed, say). */
  findByIds(manager: EntityManager, ids: string[]): Promise<Order[]> {
    return this.selectOrders(manager, `o.id = ANY($1::uuid[])`, [ids]);
  }

  /**
   * Orders with their lines in one statement and one row each (the lines as a JSON array, by sku),
   * read straight into the entity's shape: these reads run for every saga step and every page view,
   * and building them through the ORM's relation loader cost more CPU than the query itself.
   */
  private selectOrders(manager: EntityManager, where: string, params: unknown[]): Promise<Order[]> {
    return manager.query(`SELECT ${ORDER_COLUMNS} FROM orders o WHERE ${where}`, params);
  }

  /** The saga state of these orders as committed now (no lock), for streams that follow them. */
  findStatuses(manager: EntityManager, ids: string[]): Promise<OrderStatusRow[]> {
    return manager.query(`SELECT ${STATUS_ROW_COLUMNS} FROM orders WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /**
   * Orders that stopped moving, oldest first: PENDING since they were placed more than `seconds` ago
   * (inventory has not answered), RESERVED for more than `seconds` (payment has not answered), or
   * whose undoing or capture has not come for more than `seconds` (UNDOING: a rejected or cancelled
   * order whose stock is not back or whose money is still held, a confirmed one never captured).
   */
  findStuck(manager: EntityManager, seconds: number, limit: number): Promise<{ id: string; status: OrderStatus; createdAt: Date; since: Date }[]> {
    return manager.query(
      `(SELECT id, status, created_at AS "createdAt", created_at AS since FROM orders
         WHERE status = 'PENDING' AND created_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT $2)
       UNION ALL
       (SELECT id, status, created_at AS "createdAt", updated_at AS since FROM orders
         WHERE status = 'RESERVED' AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT $2)
       UNION ALL
       (SELECT id, status, created_at AS "createdAt", updated_at AS since FROM orders
         WHERE ${UNDOING} AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT $2)
       ORDER BY since LIMIT $2`,
      [seconds, limit],
    );
  }

  /** How many orders are stuck (see findStuck); each part is counted on its partial index. */
  async countStuck(manager: EntityManager, seconds: number): Promise<number> {
    const [row]: { count: number }[] = await manager.query(
      `SELECT (SELECT count(*) FROM orders WHERE status = 'PENDING' AND created_at < now() - make_interval(secs => $1))
            + (SELECT count(*) FROM orders WHERE status = 'RESERVED' AND updated_at < now() - make_interval(secs => $1))
            + (SELECT count(*) FROM orders WHERE ${UNDOING} AND updated_at < now() - make_interval(secs => $1)) AS count`,
      [seconds],
    );
    return Number(row.count);
  }

  /** The orders' saga states, row-locked (in id order, so batches never deadlock) until the transaction ends: transitions never interleave. */
  async lockSagaStates(manager: EntityManager, ids: string[]): Promise<Map<string, SagaOrder>> {
    const rows: (SagaOrder & { id: string })[] = await manager.query(
      `SELECT id, status, status_reason AS "statusReason", payment_status AS payment, payment_reason AS "paymentReason", stock_released AS "stockReleased"
       FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [[...new Set(ids)]],
    );
    return new Map(rows.map(({ id, ...state }) => [id, state]));
  }

  /**
   * Writes the orders' new saga states and announces each change to listeners when the transaction
   * commits (the notification is the row as a stream reads it, with the trace context of the change
   * when given: whichever instance pushes it to a browser continues the order's trace); returns when
   * each changed.
   */
  async updateSagaStates(
    manager: EntityManager,
    changes: ReadonlyMap<string, SagaOrder>,
    traceparents: ReadonlyMap<string, string | undefined> = new Map(),
  ): Promise<Map<string, Date>> {
    if (changes.size === 0) return new Map();
    const ids = [...changes.keys()];
    const states = ids.map((id) => changes.get(id)!);
    const rows: { id: string; updated_at: Date }[] = await manager.query(
      `WITH updated AS (
         UPDATE orders SET status = change.status, status_reason = change.status_reason, payment_status = change.payment_status,
           payment_reason = change.payment_reason, stock_released = change.stock_released, updated_at = now(),
           cancelled_at = CASE WHEN change.status = 'CANCELLED' THEN coalesce(orders.cancelled_at, now()) ELSE orders.cancelled_at END
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $8::text[])
           AS change (id, status, status_reason, payment_status, payment_reason, stock_released, traceparent)
         WHERE orders.id = change.id
         RETURNING orders.*, change.traceparent
       )
       SELECT id, updated_at, pg_notify($7, (SELECT row_to_json(notified) FROM (SELECT ${STATUS_ROW_COLUMNS}, traceparent) notified)::text) FROM updated`,
      [
        ids,
        states.map((state) => state.status),
        states.map((state) => state.statusReason),
        states.map((state) => state.payment),
        states.map((state) => state.paymentReason),
        states.map((state) => state.stockReleased),
        ORDER_STATUS_CHANNEL,
        ids.map((id) => traceparents.get(id) ?? null),
      ],
    );
    return new Map(rows.map((row) => [row.id, row.updated_at]));
  }
}

/** The columns of an OrderStatusRow, in a select list over `orders` (or a row of it). */
const STATUS_ROW_COLUMNS = `id, status, status_reason AS "statusReason", payment_status AS "paymentStatus", payment_reason AS "paymentReason",
  stock_released AS "stockReleased", updated_at AS "updatedAt"`;
