import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { OrderDecision, RequestedLine } from './reservation-decision';
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
   * The recorded decisions about these orders, the reserved lines included. Read after `lockStock`,
   * in a statement of its own: a copy of the order decided by a transaction that held those rows
   * has committed by then, and this statement's snapshot sees it.
   */
  async findDecisions(manager: EntityManager, orderIds: string[]): Promise<Map<string, OrderDecision>> {
    const rows: { order_id: string; outcome: 'reserved' | 'rejected'; sku: string | null; reason: string | null; decided_at: Date; lines: RequestedLine[] }[] =
      await manager.query(
        `SELECT d.order_id, d.outcome, d.sku, d.reason, d.decided_at,
                ARRAY(SELECT json_build_object('sku', r.sku, 'quantity', r.quantity) FROM reservations r WHERE r.order_id = d.order_id ORDER BY r.sku) AS lines
         FROM order_decisions d WHERE d.order_id = ANY($1::uuid[])`,
        [orderIds],
      );
    return new Map(
      rows.map((row) => [
        row.order_id,
        row.outcome === 'reserved'
          ? { reserve: true, lines: row.lines, decidedAt: row.decided_at }
          : { reserve: false, sku: row.sku!, reason: row.reason!, decidedAt: row.decided_at },
      ]),
    );
  }

  /**
   * Records new decisions and takes the units of every reservation, summed per sku and only where
   * that many are available, and records the reservations, in one statement. Returns how many stock
   * rows were decremented (every sku of `reservations`, or the caller rolls back). A decision for an
   * order decided meanwhile by another transaction fails on the primary key: the retry repeats that one.
   */
  async recordDecisions(
    manager: EntityManager,
    decisions: { orderId: string; decision: OrderDecision }[],
    reservations: { orderId: string; sku: string; quantity: number }[],
  ): Promise<number> {
    const rows: { decremented: number }[] = await manager.query(
      `WITH decided AS (
              -- In order id order: two transactions that share an order wait on it in the same order.
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
        decisions.map(({ decision }) => (decision.reserve ? 'reserved' : 'rejected')),
        decisions.map(({ decision }) => (decision.reserve ? null : decision.sku)),
        decisions.map(({ decision }) => (decision.reserve ? null : decision.reason)),
        decisions.map(({ decision }) => decision.decidedAt.toISOString()),
        reservations.map((line) => line.orderId),
        reservations.map((line) => line.sku),
        reservations.map((line) => line.quantity),
      ],
    );
    return rows[0].decremented;
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
