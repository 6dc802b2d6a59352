import { Link } from 'react-router';
import { useStockLevels } from '../api/queries';
import { formatPrice, plural } from '../format';
import { usePageTitle } from '../layout/use-page-title';
import { CartLineItem } from './cart-line-item';
import { usePricedCart } from './use-priced-cart';

export function CartPage() {
  usePageTitle('Cart');
  const { cart, lines, totalCents } = usePricedCart();
  const stock = useStockLevels();

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
                onQuantityChange={(quantity) => cart.setQuantity(line.sku, quantity)}
                onRemove={() => cart.remove(line.sku)}
              />
            ))}
          </ul>
          <aside className="summary-card" aria-label="Cart summary">
            <p className="summary-card__row">
              <span>Subtotal ({plural(cart.itemCount, 'item')})</span>
              <strong>{formatPrice(totalCents)}</strong>
            </p>
            <p className="muted small">Stock is reserved when your order is confirmed.</p>
            <Link to="/checkout" className="button button--primary button--block">
              Go to checkout
            </Link>
          </aside>
        </div>
      )}
    </div>
  );
}
