import { ORDER_LIMITS, type ProductView } from '@shop/contracts';
import { useState } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { ApiError } from '../api/http';
import { useProduct, useStockLevels } from '../api/queries';
import { useCart } from '../cart/cart-context';
import { QuantityInput } from '../cart/quantity-input';
import { formatPrice } from '../format';
import { QueryFailure } from '../layout/query-failure';
import { usePageTitle } from '../layout/use-page-title';
import { StockBadge } from './stock-badge';

/** `/products/:sku`. The product comes from order-service's catalog, so the page sells while inventory is down. */
export function ProductPage() {
  const { sku = '' } = useParams();
  const product = useProduct(sku);
  // The catalog's search and sort, handed over by the card's link, so "Back to results" returns to them.
  const state = useLocation().state as { search?: unknown } | null;
  const resultsPath = `/${typeof state?.search === 'string' ? state.search : ''}`;
  // A sku the catalog does not hold (404) or could not hold (400) is, for a shopper, one we do not sell.
  const notSold = product.error instanceof ApiError && (product.error.status === 404 || product.error.status === 400);
  usePageTitle(product.data?.name ?? (notSold ? 'Not sold here' : 'Product'));

  return (
    <div className="page page--narrow">
      <p>
        <Link to={resultsPath}>Back to results</Link>
      </p>
      {product.isPending && (
        <p className="muted" role="status">
          Loading the product…
        </p>
      )}
      {notSold && (
        <>
          <h1 tabIndex={-1}>We don't sell this (any more)</h1>
          <p>
            There is no product {sku} in our catalog. <Link to="/">Browse the shop</Link>
          </p>
        </>
      )}
      {product.isError && !notSold && <QueryFailure what="this product" onRetry={() => product.refetch()} />}
      {product.data && <ProductDetails product={product.data} />}
    </div>
  );
}

function ProductDetails({ product }: { product: ProductView }) {
  const cart = useCart();
  const stock = useStockLevels();
  const [quantity, setQuantity] = useState(1);
  const [note, setNote] = useState('');
  const available = stock.availableBySku?.get(product.sku);
  const inCart = cart.quantityOf(product.sku);
  const soldOut = !stock.offline && available === 0;
  const cartFull = inCart >= ORDER_LIMITS.maxQuantityPerLine;

  const addToCart = () => {
    const room = ORDER_LIMITS.maxQuantityPerLine - inCart;
    cart.add(product.sku, quantity);
    // The cart holds at most 100 of a product: say so instead of adding fewer in silence.
    setNote(quantity > room ? `At most ${ORDER_LIMITS.maxQuantityPerLine} per order: ${room} added, ${ORDER_LIMITS.maxQuantityPerLine} in your cart` : '');
  };

  return (
    <article className="product-page" aria-labelledby="product-name">
      {/* The h1 names the product, so the illustration is decorative. */}
      <img className="product-page__image" src={product.imageUrl} alt="" width={400} height={300} />
      <div className="product-page__body">
        <h1 id="product-name" tabIndex={-1}>
          {product.name}
        </h1>
        <p className="product-page__price">{formatPrice(product.priceCents)}</p>
        <p className="product-page__description">{product.description}</p>
        <p>
          {stock.offline ? (
            <span className="stock-badge stock-badge--unknown">Stock is checked when you order</span>
          ) : (
            <StockBadge available={available} inventoryOffline={false} checking={stock.checking} />
          )}
        </p>
        <div className="product-page__actions">
          <QuantityInput id="product-quantity" label={`Quantity of ${product.name}`} value={quantity} onChange={setQuantity} />
          <button type="button" className="button button--primary" onClick={addToCart} disabled={soldOut || cartFull}>
            {soldOut ? 'Sold out' : 'Add to cart'}
          </button>
        </div>
        <p className="product-page__in-cart" role="status">
          {note || (cartFull ? `${inCart} in your cart (the most per order)` : inCart > 0 ? `${inCart} in your cart` : '')}
        </p>
        {inCart > 0 && (
          <p>
            <Link to="/cart">Go to your cart</Link>
          </p>
        )}
      </div>
    </article>
  );
}
