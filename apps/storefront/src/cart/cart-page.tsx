import { useCallback, useState } from 'react';
import { Link } from 'react-router';
import { useStockLevels } from '../api/queries';
import { formatPrice, plural } from '../format';
import { usePageTitle } from '../layout/use-page-title';
import { CartLineItem } from './cart-line-item';
import { usePricedCart } from './use-priced-cart';

const CHECKOUT_BLOCKED_ID = 'checkout-blocked';

export function CartPage() {
  usePageTitle('Cart');
  const { cart, lines, totalCents } = usePricedCart();
  const stock = useStockLevels();
  // Lines whose quantity field holds something that is not a quantity: the page totals and checks out no guess.
  const [invalidSkus, setInvalidSkus] = useState<ReadonlySet<string>>(new Set());
  const markValidity = useCallback((sku: string, valid: boolean) => {
    setInvalidSkus((current) => {
      if (current.has(sku) !== valid) return current;
      const next = new Set(current);
      if (valid) next.delete(sku);
      else next.add(sku);
      return next;
    });
  }, []);

  const invalidNames = lines.filter((line) => invalidSkus.has(line.sku)).map((line) => line.product?.name ?? line.sku);
  const toFix = invalidNames.length === 0 ? null : `${invalidNames.length === 1 ? 'the quantity' : 'the quantities'} of ${listOf(invalidNames)}`;

  return (
    <div className="page">
      <h1 tabIndex={-1}>Your cart</h1>
      {lines.length === 0 ? (
        <div className="empty-state">
          <p>Your cart is empty.</p>
          <Link to="/" className="button button--primary">
            Browse the shop
          </Link>
        </div>
      ) : (
        <div className="cart-layout">
          <ul className="cart-lines" aria-label="Items in your cart">
            {lines.map((line) => (
              <CartLineItem
                key={line.sku}
                line={line}
                available={stock.availableBySku?.get(line.sku)}
                quantityValid={!invalidSkus.has(line.sku)}
                onQuantityChange={(quantity) => cart.setQuantity(line.sku, quantity)}
                onQuantityValidityChange={(valid) => markValidity(line.sku, valid)}
                onRemove={() => cart.remove(line.sku)}
              />
            ))}
          </ul>
          <aside className="summary-card" aria-label="Cart summary">
            {toFix ? (
              <p className="summary-card__row">
                <span>Subtotal</span>
                <strong>Fix {toFix} to see the total</strong>
              </p>
            ) : (
              <p className="summary-card__row">
                <span>Subtotal ({plural(cart.itemCount, 'item')})</span>
                <strong>{totalCents === null ? 'Prices not loaded yet' : formatPrice(totalCents)}</strong>
              </p>
            )}
            <p className="muted small">Stock is reserved when your order is confirmed.</p>
            {toFix ? (
              <>
                {/* A button, not a link: a link cannot be disabled, and checkout would show the last quantity that applied. */}
                <button type="button" className="button button--primary button--block" disabled aria-describedby={CHECKOUT_BLOCKED_ID}>
                  Go to checkout
                </button>
                <p id={CHECKOUT_BLOCKED_ID} className="small">
                  To check out, first fix {toFix}.
                </p>
              </>
            ) : (
              <Link to="/checkout" className="button button--primary button--block">
                Go to checkout
              </Link>
            )}
          </aside>
        </div>
      )}
    </div>
  );
}

/** "Mug", "Mug and Pen", "Mug, Pen and Tee". */
function listOf(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
