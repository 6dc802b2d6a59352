import type { OrderStatusEvent, OrderView } from '@shop/contracts';
import type { Order } from './order.entity';

export function toOrderView(order: Order): OrderView {
  return {
    id: order.id,
    status: order.status,
    statusReason: order.statusReason,
    customer: { name: order.customerName, email: order.customerEmail },
    lines: [...order.lines]
      .sort((a, b) => a.sku.localeCompare(b.sku))
      .map((line) => ({ sku: line.sku, name: line.productName, quantity: line.quantity, unitPriceCents: line.unitPriceCents })),
    totalCents: order.totalCents,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

export function toStatusEvent(order: Pick<Order, 'id' | 'status' | 'statusReason'> & { updatedAt: Date | string }): OrderStatusEvent {
  return { orderId: order.id, status: order.status, statusReason: order.statusReason, updatedAt: new Date(order.updatedAt).toISOString() };
}
