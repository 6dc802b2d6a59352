import type { OrderStatus } from '@shop/contracts';

const LABELS: Record<OrderStatus, string> = {
  PENDING: 'Waiting for confirmation',
  RESERVED: 'Waiting for payment',
  CONFIRMED: 'Confirmed',
  REJECTED: 'Not confirmed',
  CANCELLED: 'Cancelled',
};

export function OrderStatusPill({ status }: { status: OrderStatus }) {
  return <span className={`status-pill status-pill--${status.toLowerCase()}`}>{LABELS[status]}</span>;
}
