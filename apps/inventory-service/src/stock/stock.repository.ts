import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Stock } from './stock.entity';

/** The SQL of stock. Methods run on the caller's manager, inside the caller's transaction. */
@Injectable()
export class StockRepository {
  /**
   * Locks the stock rows of these skus in sku order (every reservation locks in the same order, so
   * two batches for overlapping skus queue up instead of deadlocking), and tells which of these
   * orders already have a reservation: one round trip.
   */
  async lockForReservation(
    manager: EntityManager,
    orderIds: string[],
    skus: string[],
  ): Promise<{ available: Map<string, number>; alreadyReserved: Set<string> }> {
    const rows: { sku: string; available: number; already_reserved: string[] }[] = await manager.query(
      `SELECT sku, available, ARRAY(SELECT DISTINCT order_id::text FROM reservations WHERE order_id = ANY($2::uuid[])) AS already_reserved
       FROM stock WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
      [[...new Set(skus)], orderIds],
    );
    return { available: new Map(rows.map((row) => [row.sku, row.available])), alreadyReserved: new Set(rows[0]?.already_reserved ?? []) };
  }

  /**
   * Takes the units of every reservation, summed per sku and only where that many are available,
   * and records the reservations, in one statement. Returns how many stock rows were decremented
   * (every sku of `reservations`, or the caller rolls back).
   */
  async reserve(manager: EntityManager, reservations: { orderId: string; sku: string; quantity: number }[]): Promise<number> {
    const rows: { decremented: number }[] = await manager.query(
      `WITH wanted AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[]) AS w (order_id, sku, quantity)),
            totals AS (SELECT sku, sum(quantity) AS quantity FROM wanted GROUP BY sku),
            taken AS (
              UPDATE stock SET available = stock.available - totals.quantity, updated_at = now()
              FROM totals WHERE stock.sku = totals.sku AND stock.available >= totals.quantity
              RETURNING stock.sku
            ),
            reserved AS (INSERT INTO reservations (order_id, sku, quantity) SELECT order_id, sku, quantity FROM wanted)
       SELECT count(*)::int AS decremented FROM taken`,
      [reservations.map((line) => line.orderId), reservations.map((line) => line.sku), reservations.map((line) => line.quantity)],
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
