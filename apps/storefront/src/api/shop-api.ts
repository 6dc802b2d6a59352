import type {
  CreateOrderRequest,
  OrderStatusEvent,
  OrderView,
  ProductView,
  SentEmailView,
  ShopperStatusView,
  StockLevelView,
  SystemStatusView,
} from '@shop/contracts';
import type { ApiErrorBody, SessionView } from '@shop/contracts';
import { IDEMPOTENCY_KEY_HEADER, orderStatusSchema } from '@shop/contracts';
import type { ProductSort } from '@shop/contracts';
import { ApiError, requestJson } from './http';

/** Every call the storefront makes. Paths are relative: the dev server, preview and nginx proxy /api. */
export const shopApi = {
  listProducts: () => requestJson<ProductView[]>('/api/products'),

  /** The catalog page: only the parameters given are sent, so the server defaults the sort as the URL does. */
  searchProducts: ({ q, sort }: { q?: string; sort?: ProductSort }) => {
    const params = new URLSearchParams();
    if (q !== undefined) params.set('q', q);
    if (sort !== undefined) params.set('sort', sort);
    const query = params.toString();
    return requestJson<ProductView[]>(query ? `/api/products?${query}` : '/api/products');
  },

  /** Served by order-service from its own catalog, so it answers while inventory is down. */
  getProduct: (sku: string) => requestJson<ProductView>(`/api/products/${encodeURIComponent(sku)}`),

  /** Served by inventory-service; fails while it is down, which the shop treats as "stock unknown". */
  listStockLevels: () => requestJson<StockLevelView[]>('/api/stock'),

  placeOrder: (request: CreateOrderRequest, idempotencyKey: string) =>
    requestJson<OrderView>('/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDEMPOTENCY_KEY_HEADER]: idempotencyKey },
      body: JSON.stringify(request),
    }),

  getOrder: (orderId: string) => requestJson<OrderView>(`/api/orders/${encodeURIComponent(orderId)}`),

  /** The orders of the signed-in shopper's email (401 without a session). */
  listMyOrders: () => requestJson<OrderView[]>('/api/orders'),

  /** "Email me a link to my orders": 202 whether or not the address has orders. */
  requestSignInLink: (email: string) => requestStatus('/api/sessions/link', { method: 'POST', headers: JSON_BODY, body: JSON.stringify({ email }) }),

  /** Exchanges the token from the link for a session cookie (HttpOnly: the shop never sees it). */
  signIn: (token: string) => requestJson<SessionView>('/api/sessions', { method: 'POST', headers: JSON_BODY, body: JSON.stringify({ token }) }),

  /** 401 when there is no session. */
  getSession: () => requestJson<SessionView>('/api/sessions/current'),

  signOut: () => requestStatus('/api/sessions/current', { method: 'DELETE' }),

  getSystemStatus: () => requestJson<ShopperStatusView>('/api/system/status'),

  /** The operators' figures, behind the admin token (401 for a wrong one, 403 while ADMIN_TOKEN is not configured). */
  getOperationsStatus: (adminToken: string) => requestJson<SystemStatusView>('/api/operations/status', { headers: { authorization: `Bearer ${adminToken}` } }),

  /** Served by notification-service: the emails sent about an order, the order id being the capability. */
  listOrderNotifications: (orderId: string) => requestJson<SentEmailView[]>(`/api/notifications/orders/${encodeURIComponent(orderId)}`),
};

const JSON_BODY = { 'content-type': 'application/json' };

/** For answers the shop reads only the status of (202, 204): throws ApiError like requestJson, with the error body when there is one. */
async function requestStatus(path: string, init: RequestInit): Promise<void> {
  const headers = new Headers(init.headers);
  headers.set('accept', 'application/json');
  const response = await fetch(path, { ...init, headers });
  if (response.ok) return;
  const body = (await response.json().catch(() => null)) as Partial<ApiErrorBody> | null;
  throw new ApiError(response.status, typeof body?.statusCode === 'number' && typeof body.message === 'string' ? (body as ApiErrorBody) : null);
}

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
