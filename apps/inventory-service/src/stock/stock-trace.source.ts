import { Injectable } from '@nestjs/common';
import type { TraceEntry } from '@shop/contracts';
import type { OrderTraceSource } from '@shop/service';
import { DataSource } from 'typeorm';
import type { OrderDecision, RequestedLine } from './reservation-decision';
import { StockRepository } from './stock.repository';

const describeLines = (lines: RequestedLine[]) => lines.map((line) => `${line.quantity} × ${line.sku}`).join(', ');

const describeDecision = (decision: OrderDecision): string =>
  decision.outcome === 'reserved'
    ? `order.placed taken from inventory.order-placed and decided once: stock reserved: ${describeLines(decision.lines)}`
    : decision.outcome === 'rejected'
      ? `order.placed taken from inventory.order-placed and decided once: rejected: ${decision.reason} (${decision.sku})`
      : 'released before its order.placed came: that order.placed takes nothing';

/** inventory's own hops of an order: its decision (reserved, rejected naming the sku, or a tombstone) and its release. */
@Injectable()
export class StockTraceSource implements OrderTraceSource {
  private readonly stock = new StockRepository();

  constructor(private readonly dataSource: DataSource) {}

  async traceOf(orderId: string): Promise<TraceEntry[]> {
    const record = (await this.stock.findRecords(this.dataSource.manager, [orderId])).get(orderId);
    if (!record) return [];
    const entries: TraceEntry[] = [{ at: record.decision.decidedAt.toISOString(), step: 'decided', detail: describeDecision(record.decision) }];
    if (record.release) {
      const given = record.release.lines.length > 0 ? `stock given back: ${describeLines(record.release.lines)}` : 'nothing held, nothing given back';
      entries.push({ at: record.release.releasedAt.toISOString(), step: 'released', detail: `released once from inventory.order-releases: ${given}` });
    }
    return entries;
  }
}
