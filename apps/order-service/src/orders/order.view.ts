import type { OrderStatus, OrderStatusEvent, OrderView, PaymentStatus } from '@shop/contracts';
import { isCancellable } from './order-saga';
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
    payment: paymentOf(order),
    stockReleased: order.stockReleased,
    cancellable: isCancellable(order.status),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

/** What a status stream reads of an order: from a row, or from the notification of a change (JSON, so the time is a string). */
export interface OrderStatusRow {
  id: string;
  status: OrderStatus;
  statusReason: string | null;
  paymentStatus: PaymentStatus | null;
  paymentReason: string | null;
  stockReleased: boolean;
  updatedAt: Date | string;
}

/**
 * The notification of a change: the row, and the W3C trace context of the work that committed it
 * (absent from a notification sent before traces were carried, or of a change made outside the saga).
 */
export interface OrderStatusNotification extends OrderStatusRow {
  traceparent?: string | null;
}

export function toStatusEvent(order: OrderStatusRow): OrderStatusEvent {
  return {
    orderId: order.id,
    status: order.status,
    statusReason: order.statusReason,
    payment: paymentOf(order),
    stockReleased: order.stockReleased,
    cancellable: isCancellable(order.status),
    updatedAt: new Date(order.updatedAt).toISOString(),
  };
}

const paymentOf = (order: Pick<OrderStatusRow, 'paymentStatus' | 'paymentReason'>): OrderView['payment'] =>
  order.paymentStatus ? { status: order.paymentStatus, reason: order.paymentReason } : null;
