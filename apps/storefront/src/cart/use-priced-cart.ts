import type { ProductView } from '@shop/contracts';
import { useProducts } from '../api/queries';
import { useCart } from './cart-context';

export interface PricedCartLine {
  sku: string;
  quantity: number;
  /** Undefined while the catalog loads, or when the sku is no longer sold. */
  product: ProductView | undefined;
  /** The catalog loaded and does not list this sku any more. */
  discontinued: boolean;
}

/**
 * The cart joined with the catalog. The total is an estimate for display: the server prices the order
 * from its own catalog and never trusts a price sent by the browser.
 */
export function usePricedCart() {
  const cart = useCart();
  const products = useProducts();
  const bySku = new Map(products.data?.map((product) => [product.sku, product]));
  const lines: PricedCartLine[] = cart.lines.map((line) => ({
    ...line,
    product: bySku.get(line.sku),
    discontinued: products.isSuccess && !bySku.has(line.sku),
  }));
  // Null while a line that is still sold has no price yet (catalog loading or unreachable): never a made-up $0.00.
  const priced = lines.every((line) => line.product !== undefined || line.discontinued);
  const totalCents = priced ? lines.reduce((sum, line) => sum + (line.product?.priceCents ?? 0) * line.quantity, 0) : null;
  return { cart, lines, totalCents };
}
