import { Injectable } from '@nestjs/common';
import { SHOP_CURRENCY, type TraceEntry } from '@shop/contracts';
import type { OrderTraceSource } from '@shop/service';
import { DataSource } from 'typeorm';
import { Order } from '../orders/order.entity';

/** order-service's own hops of an order: accepted, and its final status applied (from the stock result). */
@Injectable()
export class OrdersTraceSource implements OrderTraceSource {
  constructor(private readonly dataSource: DataSource) {}

  async traceOf(orderId: string): Promise<TraceEntry[]> {
    const order = await this.dataSource.manager.findOne(Order, { where: { id: orderId }, relations: { lines: true } });
    if (!order) return [];
    const entries: TraceEntry[] = [
      {
        at: order.createdAt.toISOString(),
        step: 'accepted',
        detail: `accepted: ${order.lines.length} line(s), ${(order.totalCents / 100).toFixed(2)} ${SHOP_CURRENCY}`,
      },
    ];
    if (order.status !== 'PENDING') {
      const reason = order.statusReason ? `: ${order.statusReason}` : '';
      entries.push({
        at: order.updatedAt.toISOString(),
        step: 'applied',
        detail: `${order.status} applied from inventory's answer${reason}; pushed to open order streams`,
      });
    }
    return entries;
  }
}
