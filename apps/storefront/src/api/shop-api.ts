import type { CreateOrderRequest, OrderStatusEvent, OrderView, ProductView, SentEmailView, StockLevelView, SystemStatusView } from '@shop/contracts';
import { IDEMPOTENCY_KEY_HEADER, orderStatusSchema } from '@shop/contracts';
import { requestJson } from './http';

/** Every call the storefront makes. Paths are relative: the dev server, preview and nginx proxy /api. */
export const shopApi = {
  listProducts: () => requestJson<ProductView[]>('/api/products'),

  /** Served by inventory-service; fails while it is down, which the shop treats as "stock unknown". */
  listStockLevels: () => requestJson<StockLevelView[]>('/api/stock'),

  placeOrder: (request: CreateOrderRequest, idempotencyKey: string) =>
    requestJson<OrderView>('/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDEMPOTENCY_KEY_HEADER]: idempotencyKey },
      body: JSON.stringify(request),
    }),

  getOrder: (orderId: string) => requestJson<OrderView>(`/api/orders/${encodeURIComponent(orderId)}`),

  listOrdersByEmail: (email: string) => requestJson<OrderView[]>(`/api/orders?email=${encodeURIComponent(email)}`),

  getSystemStatus: () => requestJson<SystemStatusView>('/api/system/status'),

  /** Served by notification-service: the emails sent about an order, the order id being the capability. */
  listOrderNotifications: (orderId: string) => requestJson<SentEmailView[]>(`/api/notifications/orders/${encodeURIComponent(orderId)}`),
};

/** Server-sent events: the order's current status first, then every change. */
export function orderEventsUrl(orderId: string): string {
  return `/api/orders/${encodeURIComponent(orderId)}/events`;
}

export function parseOrderStatusEvent(data: string): OrderStatusEvent | null {
  try {
    const event = JSON.parse(data) as Partial<OrderStatusEvent>;
    const valid = typeof event.orderId === 'string' && orderStatusSchema.safeParse(event.status).success && typeof event.updatedAt === 'string';
    return valid ? (event as OrderStatusEvent) : null;
  } catch {
    return null;
  }
}
