import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { OrderDecision, OrderRecord, OrderRelease, RequestedLine, ReservationLine } from './reservation-decision';
import { Stock } from './stock.entity';

/** The SQL of stock. Methods run on the caller's manager, inside the caller's transaction. */
@Injectable()
export class StockRepository {
  /**
   * Locks the stock rows of these skus in sku order (every reservation locks in the same order, so
   * two batches for overlapping skus queue up instead of deadlocking) and returns their units.
   */
  async lockStock(manager: EntityManager, skus: string[]): Promise<Map<string, number>> {
    const rows: { sku: string; available: number }[] = await manager.query(
      `SELECT sku, available FROM stock WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
      [[...new Set(skus)]],
    );
    return new Map(rows.map((row) => [row.sku, row.available]));
  }

  /**
   * Takes each order's lock for the rest of the transaction, in one fixed order (by lock key), before
   * any stock row: a reservation and a release of the same order, in two transactions or replicas,
   * run one after the other, and every transaction takes orders, then skus, so none deadlock.
   */
  async lockOrders(manager: EntityManager, orderIds: string[]): Promise<void> {
    await manager.query(
      `SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(id::text, 0) AS k FROM unnest($1::uuid[]) AS id) keys ORDER BY k`,
      [orderIds],
    );
  }

  /**
   * What was recorded about these orders: the decision (a reservation's lines are its reservations
   * rows, or the lines its release gave back) and the release. Read after `lockOrders`, in a statement
   * of its own: a transaction that decided or released one of them has committed by then, and this
   * statement's snapshot sees it.
   */
  async findRecords(manager: EntityManager, orderIds: string[]): Promise<Map<string, OrderRecord>> {
    const rows: {
      order_id: string;
      outcome: OrderDecision['outcome'];
      sku: string | null;
      reason: string | null;
      decided_at: Date;
      held: RequestedLine[];
      released_at: Date | null;
      released: RequestedLine[] | null;
    }[] = await manager.query(
      `SELECT d.order_id, d.outcome, d.sku, d.reason, d.decided_at, r.released_at, r.lines AS released,
              ARRAY(SELECT json_build_object('sku', s.sku, 'quantity', s.quantity) FROM reservations s WHERE s.order_id = d.order_id ORDER BY s.sku) AS held
       FROM order_decisions d LEFT JOIN order_releases r ON r.order_id = d.order_id
       WHERE d.order_id = ANY($1::uuid[])`,
      [orderIds],
    );
    return new Map(
      rows.map((row) => {
        const release = row.released_at ? { releasedAt: row.released_at, lines: row.released! } : undefined;
        const decision: OrderDecision =
          row.outcome === 'reserved'
            ? { outcome: 'reserved', lines: release ? release.lines : row.held, decidedAt: row.decided_at }
            : row.outcome === 'rejected'
              ? { outcome: 'rejected', sku: row.sku!, reason: row.reason!, decidedAt: row.decided_at }
              : { outcome: 'cancelled', decidedAt: row.decided_at };
        return [row.order_id, release ? { decision, release } : { decision }];
      }),
    );
  }

  /**
   * Records new decisions and takes the units of every reservation, summed per sku and only where
   * that many are available, and records the reservations, in one statement. Returns how many stock
   * rows were decremented (every sku of `reservations`, or the caller rolls back). A decision for an
   * order decided meanwhile fails on the primary key (callers hold the order's lock, so only a
   * writer that skipped it can): the retry repeats that one.
   */
  async recordDecisions(manager: EntityManager, decisions: { orderId: string; decision: OrderDecision }[], reservations: ReservationLine[]): Promise<number> {
    const rows: { decremented: number }[] = await manager.query(
      `WITH decided AS (
              INSERT INTO order_decisions (order_id, outcome, sku, reason, decided_at)
              SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) ORDER BY 1
            ),
            wanted AS (SELECT * FROM unnest($6::uuid[], $7::text[], $8::int[]) AS w (order_id, sku, quantity)),
            totals AS (SELECT sku, sum(quantity) AS quantity FROM wanted GROUP BY sku),
            taken AS (
              UPDATE stock SET available = stock.available - totals.quantity, updated_at = now()
              FROM totals WHERE stock.sku = totals.sku AND stock.available >= totals.quantity
              RETURNING stock.sku
            ),
            reserved AS (INSERT INTO reservations (order_id, sku, quantity) SELECT order_id, sku, quantity FROM wanted)
       SELECT count(*)::int AS decremented FROM taken`,
      [
        decisions.map(({ orderId }) => orderId),
        decisions.map(({ decision }) => decision.outcome),
        decisions.map(({ decision }) => (decision.outcome === 'rejected' ? decision.sku : null)),
        decisions.map(({ decision }) => (decision.outcome === 'rejected' ? decision.reason : null)),
        decisions.map(({ decision }) => decision.decidedAt.toISOString()),
        reservations.map((line) => line.orderId),
        reservations.map((line) => line.sku),
        reservations.map((line) => line.quantity),
      ],
    );
    return rows[0].decremented;
  }

  /**
   * Records tombstones and releases, deletes the released reservations and gives their units back
   * (`givenBack`, summed per sku), in one statement; the primary key of order_releases refuses a
   * second release of an order. Returns how many stock rows were incremented (every sku of `givenBack`).
   */
  async recordReleases(
    manager: EntityManager,
    tombstones: { orderId: string; decision: OrderDecision }[],
    releases: { orderId: string; release: OrderRelease }[],
    givenBack: RequestedLine[],
  ): Promise<number> {
    // First, on its own: a release refers to its order's decision, the tombstone included.
    if (tombstones.length > 0) {
      await manager.query(
        `INSERT INTO order_decisions (order_id, outcome, decided_at) SELECT id, 'cancelled', at FROM unnest($1::uuid[], $2::timestamptz[]) AS t (id, at)`,
        [tombstones.map(({ orderId }) => orderId), tombstones.map(({ decision }) => decision.decidedAt.toISOString())],
      );
    }
    const rows: { incremented: number }[] = await manager.query(
      `WITH released AS (
              INSERT INTO order_releases (order_id, released_at, lines)
              SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::jsonb[]) RETURNING order_id
            ),
            dropped AS (DELETE FROM reservations WHERE order_id IN (SELECT order_id FROM released)),
            returned AS (
              UPDATE stock SET available = stock.available + back.quantity, updated_at = now()
              FROM unnest($4::text[], $5::int[]) AS back (sku, quantity) WHERE stock.sku = back.sku
              RETURNING stock.sku
            )
       SELECT count(*)::int AS incremented FROM returned`,
      [
        releases.map(({ orderId }) => orderId),
        releases.map(({ release }) => release.releasedAt.toISOString()),
        releases.map(({ release }) => JSON.stringify(release.lines)),
        givenBack.map((line) => line.sku),
        givenBack.map((line) => line.quantity),
      ],
    );
    return rows[0].incremented;
  }

  listStock(manager: EntityManager): Promise<Stock[]> {
    return manager.find(Stock, { order: { sku: 'ASC' } });
  }

  findStock(manager: EntityManager, sku: string): Promise<Stock | null> {
    return manager.findOneBy(Stock, { sku });
  }

  async restock(manager: EntityManager, sku: string, quantity: number): Promise<Stock | null> {
    const [rows]: [{ sku: string; available: number; updated_at: Date }[], number] = await manager.query(
      `UPDATE stock SET available = available + $2, updated_at = now() WHERE sku = $1 RETURNING sku, available, updated_at`,
      [sku, quantity],
    );
    return rows[0] ? Object.assign(new Stock(), { sku: rows[0].sku, available: rows[0].available, updatedAt: rows[0].updated_at }) : null;
  }
}
