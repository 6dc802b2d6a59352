import { useQuery } from '@tanstack/react-query';
import type { OrderView } from '@shop/contracts';
import { shopApi } from './shop-api';

export const queryKeys = {
  products: ['products'] as const,
  stockLevels: ['stock-levels'] as const,
  systemStatus: ['system-status'] as const,
  order: (orderId: string) => ['orders', orderId] as const,
  ordersByEmail: (email: string) => ['orders', 'by-email', email] as const,
};

const SYSTEM_STATUS_POLL_MS = 5_000;
const STOCK_POLL_MS = 15_000;
/** "My orders" polls instead of streaming: one EventSource per order would exhaust the browser's six HTTP/1.1 connections. */
export const PENDING_ORDERS_POLL_MS = 3_000;

export function useProducts() {
  return useQuery({ queryKey: queryKeys.products, queryFn: shopApi.listProducts, staleTime: 60_000 });
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

export function useOrdersByEmail(email: string) {
  return useQuery({
    queryKey: queryKeys.ordersByEmail(email),
    queryFn: () => shopApi.listOrdersByEmail(email),
    enabled: email !== '',
    refetchInterval: (query) => (query.state.data?.some(isAwaitingStock) ? PENDING_ORDERS_POLL_MS : false),
  });
}

export function isAwaitingStock(order: Pick<OrderView, 'status'>): boolean {
  return order.status === 'PENDING';
}
