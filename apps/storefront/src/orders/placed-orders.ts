import { useEffect, useState } from 'react';
import { cancelTokenSchema } from '@shop/contracts';

/**
 * An order placed from this browser. The id is the capability to read it; the cancelToken (from the
 * 201 only) is the capability to cancel it, kept so that this browser's order page can.
 */
export interface PlacedOrder {
  id: string;
  placedAt: string;
  /** Absent for orders recorded before orders could be cancelled. */
  cancelToken?: string;
}

/** Versioned so a future shape can ignore lists saved by an older storefront instead of crashing. */
export const PLACED_ORDERS_STORAGE_KEY = 'shop.orders.v1';
/** Enough for any shopper's recent history; older entries fall off the end. */
export const PLACED_ORDERS_KEPT = 50;

const ORDER_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The orders placed from this browser, newest first; anything unreadable (edited by hand, older format) yields none. */
export function loadPlacedOrders(storage: Storage = window.localStorage): PlacedOrder[] {
  try {
    const saved: unknown = JSON.parse(storage.getItem(PLACED_ORDERS_STORAGE_KEY) ?? '[]');
    if (!Array.isArray(saved)) return [];
    return saved
      .filter(isPlacedOrder)
      .map(({ id, placedAt, cancelToken }) => (cancelTokenSchema.safeParse(cancelToken).success ? { id, placedAt, cancelToken } : { id, placedAt }))
      .slice(0, PLACED_ORDERS_KEPT);
  } catch {
    return [];
  }
}

/** Puts an order first (once, however often it is recorded) and keeps the newest PLACED_ORDERS_KEPT. */
export function recordPlacedOrder(order: { id: string; createdAt: string; cancelToken?: string }, storage: Storage = window.localStorage): void {
  const others = loadPlacedOrders(storage).filter((placed) => placed.id !== order.id);
  const placed: PlacedOrder = { id: order.id, placedAt: order.createdAt, ...(order.cancelToken ? { cancelToken: order.cancelToken } : {}) };
  savePlacedOrders([placed, ...others], storage);
}

/** The capability to cancel an order placed from this browser, or null (placed elsewhere, or forgotten here). */
export function cancelTokenOf(orderId: string, storage: Storage = window.localStorage): string | null {
  return loadPlacedOrders(storage).find((placed) => placed.id === orderId)?.cancelToken ?? null;
}

/** Drops orders the server no longer knows (404), so the page stops asking for them. */
export function forgetPlacedOrders(ids: readonly string[], storage: Storage = window.localStorage): void {
  if (ids.length === 0) return;
  savePlacedOrders(
    loadPlacedOrders(storage).filter((placed) => !ids.includes(placed.id)),
    storage,
  );
}

/**
 * Forgets every order placed from this browser (a shared computer: the next shopper should not see them).
 * The orders stay on the server; their ids are just no longer kept here. Other tabs hear of it through the
 * `storage` event, this one through PLACED_ORDERS_FORGOTTEN.
 */
export function forgetAllPlacedOrders(storage: Storage = window.localStorage): void {
  try {
    storage.removeItem(PLACED_ORDERS_STORAGE_KEY);
  } catch {
    // Storage disabled: nothing was kept to forget.
  }
  window.dispatchEvent(new Event(PLACED_ORDERS_FORGOTTEN));
}

/** Dispatched on window by forgetAllPlacedOrders: the `storage` event reaches only the other tabs. */
export const PLACED_ORDERS_FORGOTTEN = 'shop:placed-orders-forgotten';

function savePlacedOrders(orders: PlacedOrder[], storage: Storage): void {
  try {
    storage.setItem(PLACED_ORDERS_STORAGE_KEY, JSON.stringify(orders.slice(0, PLACED_ORDERS_KEPT)));
  } catch {
    // Storage full or disabled (private mode): the order page still has the order; this list just misses it.
  }
}

/** The stored list, kept in step with other tabs of the shop through the `storage` event, and with a forget in this one. */
export function usePlacedOrders(): PlacedOrder[] {
  const [orders, setOrders] = useState(() => loadPlacedOrders());
  useEffect(() => {
    const reload = (event: StorageEvent) => {
      if (event.key === null || event.key === PLACED_ORDERS_STORAGE_KEY) setOrders(loadPlacedOrders());
    };
    const forgotten = () => setOrders(loadPlacedOrders());
    window.addEventListener('storage', reload);
    window.addEventListener(PLACED_ORDERS_FORGOTTEN, forgotten);
    return () => {
      window.removeEventListener('storage', reload);
      window.removeEventListener(PLACED_ORDERS_FORGOTTEN, forgotten);
    };
  }, []);
  return orders;
}

function isPlacedOrder(value: unknown): value is PlacedOrder {
  const order = value as Partial<PlacedOrder> | null;
  return typeof order?.id === 'string' && ORDER_ID_PATTERN.test(order.id) && typeof order.placedAt === 'string' && !Number.isNaN(Date.parse(order.placedAt));
}
