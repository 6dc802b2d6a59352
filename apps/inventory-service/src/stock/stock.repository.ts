import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Stock } from './stock.entity';

/** The SQL of stock. Methods run on the caller's manager, inside the caller's transaction. */
@Injectable()
export class StockRepository {
  /**
   * Locks the stock rows of these skus in sku order (every reservation locks in the same order, so
   * two orders for overlapping skus queue up instead of deadlocking), and tells whether the order
   * already has a reservation: one round trip.
   */
  async lockForReservation(manager: EntityManager, orderId: string, skus: string[]): Promise<{ available: Map<string, number>; alreadyReserved: boolean }> {
    const rows: { sku: string; available: number; already_reserved: boolean }[] = await manager.query(
      `SELECT sku, available, EXISTS (SELECT 1 FROM reservations WHERE order_id = $2) AS already_reserved
       FROM stock WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
      [skus, orderId],
    );
    return { available: new Map(rows.map((row) => [row.sku, row.available])), alreadyReserved: rows.some((row) => row.already_reserved) };
  }

  /**
   * Takes every line's units, only where that many are available, and records the reservations,
   * in one statement. Returns how many stock rows were decremented (all lines, or the caller rolls back).
   */
  async reserve(manager: EntityManager, orderId: string, lines: { sku: string; quantity: number }[]): Promise<number> {
    const rows: { decremented: number }[] = await manager.query(
      `WITH wanted AS (SELECT * FROM unnest($2::text[], $3::int[]) AS w (sku, quantity)),
            taken AS (
              UPDATE stock SET available = stock.available - wanted.quantity, updated_at = now()
              FROM wanted WHERE stock.sku = wanted.sku AND stock.available >= wanted.quantity
              RETURNING stock.sku
            ),
            reserved AS (INSERT INTO reservations (order_id, sku, quantity) SELECT $1, sku, quantity FROM wanted)
       SELECT count(*)::int AS decremented FROM taken`,
      [orderId, lines.map((line) => line.sku), lines.map((line) => line.quantity)],
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
