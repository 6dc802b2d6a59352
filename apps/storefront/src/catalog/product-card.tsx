import type { ProductView } from '@shop/contracts';
import { Link, useLocation } from 'react-router';
import { useCart } from '../cart/cart-context';
import { formatPrice } from '../format';
import { StockBadge } from './stock-badge';

interface ProductCardProps {
  product: ProductView;
  available: number | undefined;
  inventoryOffline: boolean;
  checkingStock: boolean;
}

export function ProductCard({ product, available, inventoryOffline, checkingStock }: ProductCardProps) {
  const cart = useCart();
  const inCart = cart.quantityOf(product.sku);
  const headingId = `product-${product.sku}`;
  const soldOut = !inventoryOffline && available === 0;
  const buttonText = soldOut ? 'Sold out' : 'Add to cart';
  // The product page's "Back to results" returns to this search and sort.
  const { search } = useLocation();
  const productPath = `/products/${encodeURIComponent(product.sku)}`;

  return (
    <article className="product-card" aria-labelledby={headingId}>
      {/* The name follows as a heading, so the illustration is decorative; its link repeats the name's, so it is no tab stop. */}
      <Link to={productPath} state={{ search }} tabIndex={-1} aria-hidden="true" className="product-card__image-link">
        <img className="product-card__image" src={product.imageUrl} alt="" width={400} height={300} loading="lazy" />
      </Link>
      <div className="product-card__body">
        <div className="product-card__title-row">
          <h2 id={headingId} className="product-card__name">
            <Link to={productPath} state={{ search }}>
              {product.name}
            </Link>
          </h2>
          <p className="product-card__price">{formatPrice(product.priceCents)}</p>
        </div>
        <p className="product-card__description">{product.description}</p>
        <div className="product-card__actions">
          <StockBadge available={available} inventoryOffline={inventoryOffline} checking={checkingStock} />
          <button
            type="button"
            className="button button--primary"
            onClick={() => cart.add(product.sku)}
            disabled={soldOut || !cart.canAdd(product.sku)}
            // Twelve "Add to cart" buttons need the product in their name to be told apart.
            aria-label={`${buttonText}: ${product.name}`}
          >
            {buttonText}
          </button>
        </div>
        <p id={`${headingId}-in-cart`} className="product-card__in-cart" role="status">
          {inCart > 0 ? `${inCart} in your cart${cart.canAdd(product.sku) ? '' : ' (the most per order)'}` : ''}
        </p>
      </div>
    </article>
  );
}
