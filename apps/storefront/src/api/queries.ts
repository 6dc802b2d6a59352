import { useQueries, useQuery, type Query } from '@tanstack/react-query';
import type { OrderEmailKind, OrderView, SentEmailView, SessionView } from '@shop/contracts';
import { ApiError } from './http';
import { shopApi } from './shop-api';
import type { ProductSort } from '@shop/contracts';

export const queryKeys = {
  products: ['products'] as const,
  productSearch: (q: string | undefined, sort: ProductSort | undefined) => ['products', q, sort] as const,
  product: (sku: string) => ['product', sku] as const,
  stockLevels: ['stock-levels'] as const,
  systemStatus: ['system-status'] as const,
  operationsStatus: ['operations-status'] as const,
  order: (orderId: string) => ['orders', orderId] as const,
  /** The signed-in shopper's orders; under 'orders' so that invalidating all orders refreshes it too. */
  myOrders: ['orders', 'mine'] as const,
  session: ['session'] as const,
  orderNotifications: (orderId: string) => ['notifications', 'orders', orderId] as const,
};

const SYSTEM_STATUS_POLL_MS = 5_000;
const STOCK_POLL_MS = 15_000;
/** "My orders" polls instead of streaming: one EventSource per order would exhaust the browser's six HTTP/1.1 connections. */
export const PENDING_ORDERS_POLL_MS = 3_000;

export function useProducts() {
  return useQuery({ queryKey: queryKeys.products, queryFn: shopApi.listProducts, staleTime: 60_000 });
}

/** The catalog page's list: the search and sort from its URL (undefined ones are left to the server's defaults). */
export function useProductSearch({ q, sort }: { q?: string; sort?: ProductSort }) {
  return useQuery({ queryKey: queryKeys.productSearch(q, sort), queryFn: () => shopApi.searchProducts({ q, sort }), staleTime: 30_000 });
}

/** One product for its page; a 404 means the shop does not sell it. */
export function useProduct(sku: string) {
  return useQuery({ queryKey: queryKeys.product(sku), queryFn: () => shopApi.getProduct(sku), staleTime: 30_000 });
}

/**
 * Stock levels by sku, or `offline` when inventory-service cannot be reached. Any failure counts as
 * offline and is not retried: the catalog must not wait for inventory before it can sell.
 */
export function useStockLevels() {
  const query = useQuery({
    queryKey: queryKeys.stockLevels,
    queryFn: async () => new Map((await shopApi.listStockLevels()).map((level) => [level.sku, level.available])),
    retry: false,
    refetchInterval: STOCK_POLL_MS,
  });
  return { availableBySku: query.data, offline: query.isError, checking: query.isPending };
}

export function useSystemStatus() {
  return useQuery({
    queryKey: queryKeys.systemStatus,
    queryFn: shopApi.getSystemStatus,
    refetchInterval: SYSTEM_STATUS_POLL_MS,
    retry: false,
  });
}

export function useOrder(orderId: string) {
  return useQuery({ queryKey: queryKeys.order(orderId), queryFn: () => shopApi.getOrder(orderId) });
}

/** Each order placed from this browser, by id (the capability); one awaiting confirmation is asked again until it settles. */
export function usePlacedOrderQueries(orderIds: readonly string[]) {
  return useQueries({
    queries: orderIds.map((orderId) => ({
      queryKey: queryKeys.order(orderId),
      queryFn: () => shopApi.getOrder(orderId),
      refetchInterval: (query: Query<OrderView>) => (query.state.data && isAwaitingConfirmation(query.state.data) ? PENDING_ORDERS_POLL_MS : false),
    })),
  });
}

/** The shopper session, or null when there is none (a 401 is an answer here, not a failure). */
export function useShopperSession({ enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: queryKeys.session,
    enabled,
    queryFn: async (): Promise<SessionView | null> => {
      try {
        return await shopApi.getSession();
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
  });
}

/** The orders of the session's email, only asked for while there is a session. */
export function useMyOrders(signedIn: boolean) {
  return useQuery({
    queryKey: queryKeys.myOrders,
    queryFn: shopApi.listMyOrders,
    enabled: signedIn,
    refetchInterval: (query) => (query.state.data?.some(isAwaitingConfirmation) ? PENDING_ORDERS_POLL_MS : false),
  });
}

/**
 * Waits between asking notification-service again for the email about an order's final status: it is
 * sent shortly after the status changes, so the first answer may not list it yet. After the last wait
 * the page stops asking (six requests in about half a minute).
 */
export const ORDER_EMAIL_RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 15_000];

/**
 * The email sent to the shopper about the order's final status (`confirmed`, `rejected` or `cancelled`), once
 * notification-service lists it; null until then, and for good if that service cannot be reached:
 * the note is a courtesy, so a failure is neither shown nor retried beyond the same few tries.
 */
export function useOrderEmail(orderId: string, kind: Exclude<OrderEmailKind, 'received'> | null): SentEmailView | null {
  const query = useQuery({
    queryKey: queryKeys.orderNotifications(orderId),
    queryFn: () => shopApi.listOrderNotifications(orderId),
    enabled: kind !== null,
    retry: false,
    refetchOnWindowFocus: false,
    refetchInterval: (current) => {
      if (sentEmail(current.state.data, kind)) return false;
      const tries = current.state.dataUpdateCount + current.state.errorUpdateCount;
      return ORDER_EMAIL_RETRY_DELAYS_MS[tries - 1] ?? false;
    },
  });
  return sentEmail(query.data, kind);
}

function sentEmail(notifications: SentEmailView[] | undefined, kind: OrderEmailKind | null): SentEmailView | null {
  // Anything but a list (a proxy answering for a missing route) counts as "not sent yet".
  if (kind === null || !Array.isArray(notifications)) return null;
  return notifications.find((notification) => notification.kind === kind) ?? null;
}

/** Stock or payment still to come: PENDING (stock being reserved) or RESERVED (payment being authorized). */
export function isAwaitingConfirmation(order: Pick<OrderView, 'status'>): boolean {
  return order.status === 'PENDING' || order.status === 'RESERVED';
}
