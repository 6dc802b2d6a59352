import { Injectable } from '@nestjs/common';
import type { TraceEntry } from '@shop/contracts';
import type { OrderTraceSource } from '@shop/service';
import { DataSource } from 'typeorm';
import { StockRepository } from './stock.repository';

/** inventory's own hop of an order: its decision (reserved, or rejected naming the sku). */
@Injectable()
export class StockTraceSource implements OrderTraceSource {
  private readonly stock = new StockRepository();

  constructor(private readonly dataSource: DataSource) {}

  async traceOf(orderId: string): Promise<TraceEntry[]> {
    const decision = (await this.stock.findDecisions(this.dataSource.manager, [orderId])).get(orderId);
    if (!decision) return [];
    const detail = decision.reserve
      ? `stock reserved: ${decision.lines.map((line) => `${line.quantity} × ${line.sku}`).join(', ')}`
      : `rejected: ${decision.reason} (${decision.sku})`;
    return [{ at: decision.decidedAt.toISOString(), step: 'decided', detail: `order.placed taken from inventory.order-placed and decided once: ${detail}` }];
  }
}
