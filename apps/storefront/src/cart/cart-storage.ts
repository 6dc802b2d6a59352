import { ORDER_LIMITS, SKU_PATTERN } from '@shop/contracts';

export interface CartLine {
  sku: string;
  quantity: number;
}

/** Versioned so a future shape can ignore carts saved by an older storefront instead of crashing. */
export const CART_STORAGE_KEY = 'shop.cart.v1';

export function clampQuantity(quantity: number): number {
  return Math.min(ORDER_LIMITS.maxQuantityPerLine, Math.max(1, Math.trunc(quantity)));
}

/** Reads the saved cart; anything unreadable (edited by hand, older format) yields an empty cart. */
export function loadCart(storage: Storage = window.localStorage): CartLine[] {
  try {
    const saved: unknown = JSON.parse(storage.getItem(CART_STORAGE_KEY) ?? '[]');
    if (!Array.isArray(saved)) return [];
    return saved.filter(isCartLine).map((line) => ({ sku: line.sku, quantity: clampQuantity(line.quantity) }));
  } catch {
    return [];
  }
}

export function saveCart(lines: CartLine[], storage: Storage = window.localStorage): void {
  try {
    storage.setItem(CART_STORAGE_KEY, JSON.stringify(lines));
  } catch {
    // Storage full or disabled (private mode): the cart still works for this visit.
  }
}

function isCartLine(value: unknown): value is CartLine {
  const line = value as Partial<CartLine> | null;
  return (
    typeof line?.sku === 'string' && SKU_PATTERN.test(line.sku) && typeof line.quantity === 'number' && Number.isFinite(line.quantity) && line.quantity >= 1
  );
}
