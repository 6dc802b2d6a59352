import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ORDER_LIMITS } from '@shop/contracts';
import { CART_STORAGE_KEY, clampQuantity, loadCart, saveCart, type CartLine } from './cart-storage';

interface Cart {
  lines: CartLine[];
  itemCount: number;
  quantityOf(sku: string): number;
  /** False once the line holds the most one order may have: "Add" would change nothing, so it is disabled instead. */
  canAdd(sku: string): boolean;
  add(sku: string, quantity?: number): void;
  setQuantity(sku: string, quantity: number): void;
  remove(sku: string): void;
  clear(): void;
}

const CartContext = createContext<Cart | null>(null);

/** The cart, kept in localStorage so it survives reloads and stays in step across tabs. */
export function CartProvider({ children }: { children: ReactNode }) {
  const [lines, setLines] = useState<CartLine[]>(() => loadCart());

  useEffect(() => saveCart(lines), [lines]);

  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === CART_STORAGE_KEY) setLines(loadCart());
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const add = useCallback((sku: string, quantity = 1) => {
    setLines((current) =>
      current.some((line) => line.sku === sku)
        ? current.map((line) => (line.sku === sku ? { sku, quantity: clampQuantity(line.quantity + quantity) } : line))
        : [...current, { sku, quantity: clampQuantity(quantity) }],
    );
  }, []);

  const setQuantity = useCallback((sku: string, quantity: number) => {
    setLines((current) => current.map((line) => (line.sku === sku ? { sku, quantity: clampQuantity(quantity) } : line)));
  }, []);

  const remove = useCallback((sku: string) => setLines((current) => current.filter((line) => line.sku !== sku)), []);
  const clear = useCallback(() => setLines([]), []);

  const cart = useMemo<Cart>(
    () => ({
      lines,
      itemCount: lines.reduce((sum, line) => sum + line.quantity, 0),
      quantityOf: (sku) => lines.find((line) => line.sku === sku)?.quantity ?? 0,
      canAdd: (sku) => (lines.find((line) => line.sku === sku)?.quantity ?? 0) < ORDER_LIMITS.maxQuantityPerLine,
      add,
      setQuantity,
      remove,
      clear,
    }),
    [lines, add, setQuantity, remove, clear],
  );

  return <CartContext.Provider value={cart}>{children}</CartContext.Provider>;
}

export function useCart(): Cart {
  const cart = useContext(CartContext);
  if (!cart) throw new Error('useCart must be used inside <CartProvider>');
  return cart;
}
