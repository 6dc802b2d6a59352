import { Injectable } from '@nestjs/common';
import { SHOP_CURRENCY, type TraceEntry } from '@shop/contracts';
import type { OrderTraceSource } from '@shop/service';
import { DataSource } from 'typeorm';
import { Order } from '../orders/order.entity';

/**
 * order-service's own hops of an order: accepted, its latest status applied (from inventory's or
 * payment-service's answer), and the shopper's cancel. The hops in between are in the outbox and
 * inbox rows (ServiceTrace) and in the other services' traces.
 */
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
    if (order.cancelledAt) {
      entries.push({
        at: order.cancelledAt.toISOString(),
        step: 'cancelled',
        detail: `${order.statusReason ?? 'cancelled by the shopper'}; order.cancelled queued`,
      });
    }
    if (order.status !== 'PENDING' && !(order.cancelledAt && order.updatedAt.getTime() === order.cancelledAt.getTime())) {
      const reason = order.status !== 'CANCELLED' && order.statusReason ? `: ${order.statusReason}` : '';
      const money = order.paymentStatus ? `, payment ${order.paymentStatus}` : '';
      const stock = order.stockReleased ? ', stock given back' : '';
      entries.push({
        at: order.updatedAt.toISOString(),
        step: 'applied',
        detail: `${order.status}${money}${stock} applied from the latest answer${reason}; pushed to open order streams`,
      });
    }
    return entries;
  }
}
