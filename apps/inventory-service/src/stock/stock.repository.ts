import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Reservation } from './reservation.entity';
import { Stock } from './stock.entity';

/** The SQL of stock. Methods run on the caller's manager, inside the caller's transaction. */
@Injectable()
export class StockRepository {
  /**
   * Locks the stock rows of these skus in sku order. Every reservation locks in the same order,
   * so two orders for overlapping skus queue up instead of deadlocking.
   */
  async lockForReservation(manager: EntityManager, skus: string[]): Promise<Map<string, number>> {
    const rows: { sku: string; available: number }[] = await manager.query(
      `SELECT sku, available FROM stock WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
      [skus],
    );
    return new Map(rows.map((row) => [row.sku, row.available]));
  }

  /** Takes `quantity` units only if that many are available; false when they are not. */
  async decrement(manager: EntityManager, sku: string, quantity: number): Promise<boolean> {
    const [, affected]: [unknown, number] = await manager.query(
      `UPDATE stock SET available = available - $2, updated_at = now() WHERE sku = $1 AND available >= $2`,
      [sku, quantity],
    );
    return affected === 1;
  }

  async hasReservation(manager: EntityManager, orderId: string): Promise<boolean> {
    return manager.exists(Reservation, { where: { orderId } });
  }

  async insertReservations(manager: EntityManager, orderId: string, lines: { sku: string; quantity: number }[]): Promise<void> {
    await manager.insert(
      Reservation,
      lines.map((line) => ({ orderId, ...line })),
    );
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
