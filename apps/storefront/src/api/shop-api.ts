import type {
  CreateOrderRequest,
  OrderStatusEvent,
  OrderView,
  PlacedOrderView,
  ProductView,
  SentEmailView,
  ShopperStatusView,
  StockLevelView,
  SystemStatusView,
} from '@shop/contracts';
import type { ApiErrorBody, SessionView } from '@shop/contracts';
import { CANCEL_TOKEN_HEADER, CANCELLABLE_STATUSES, IDEMPOTENCY_KEY_HEADER, orderStatusSchema } from '@shop/contracts';
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

  /** The 201 carries the order's cancelToken: the only answer that ever does. */
  placeOrder: (request: CreateOrderRequest, idempotencyKey: string) =>
    requestJson<PlacedOrderView>('/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDEMPOTENCY_KEY_HEADER]: idempotencyKey },
      body: JSON.stringify(request),
    }),

  /**
   * Cancels with the order's cancelToken when this browser placed it, else with the session cookie
   * (an order listed under the signed-in email). 409 once the order can no longer be cancelled.
   * Answers the order as it now stands when the server sends it, else null.
   */
  cancelOrder: async (orderId: string, cancelToken: string | null): Promise<OrderView | null> => {
    const headers = new Headers({ accept: 'application/json', 'content-type': 'application/json' });
    if (cancelToken) headers.set(CANCEL_TOKEN_HEADER, cancelToken);
    const response = await fetch(`/api/orders/${encodeURIComponent(orderId)}/cancel`, { method: 'POST', headers, body: '{}' });
    if (!response.ok) throw new ApiError(response.status, await errorBodyOf(response));
    const body = (await response.json().catch(() => null)) as Partial<OrderView> | null;
    return body && body.id === orderId && orderStatusSchema.safeParse(body.status).success ? (body as OrderView) : null;
  },

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
  throw new ApiError(response.status, await errorBodyOf(response));
}

async function errorBodyOf(response: Response): Promise<ApiErrorBody | null> {
  const body = (await response.json().catch(() => null)) as Partial<ApiErrorBody> | null;
  return typeof body?.statusCode === 'number' && typeof body.message === 'string' ? (body as ApiErrorBody) : null;
}

/** Server-sent events: the order's current status first, then every change. */
export function orderEventsUrl(orderId: string): string {
  return `/api/orders/${encodeURIComponent(orderId)}/events`;
}

export function parseOrderStatusEvent(data: string): OrderStatusEvent | null {
  try {
    const event = JSON.parse(data) as Partial<OrderStatusEvent>;
    const status = orderStatusSchema.safeParse(event.status);
    if (typeof event.orderId !== 'string' || !status.success || typeof event.updatedAt !== 'string') return null;
    // A server older than the payment fields sends none of them: no money news, nothing released, cancellable by status.
    return {
      orderId: event.orderId,
      status: status.data,
      statusReason: event.statusReason ?? null,
      payment: event.payment ?? null,
      stockReleased: event.stockReleased ?? false,
      cancellable: event.cancellable ?? CANCELLABLE_STATUSES.includes(status.data),
      updatedAt: event.updatedAt,
    };
  } catch {
    return null;
  }
}
