import { Link } from 'react-router';
import { stockWarning } from '../cart/stock-warning';
import type { PricedCartLine } from '../cart/use-priced-cart';
import { formatPrice } from '../format';
import { CHECKOUT_FIELD_IDS, lineElementId, type PlacedIssue } from './checkout-issues';

interface OrderReviewProps {
  lines: PricedCartLine[];
  /** Null while prices are not known. */
  totalCents: number | null;
  issues: PlacedIssue[];
  /** Units inventory last reported by sku; undefined while unknown (loading, or inventory offline). */
  availableBySku: ReadonlyMap<string, number> | undefined;
}

/** What is being ordered, with any problem about the cart or one of its lines shown beside it. */
export function OrderReview({ lines, totalCents, issues, availableBySku }: OrderReviewProps) {
  const cartIssues = issues.filter((issue) => issue.targetId === CHECKOUT_FIELD_IDS.review);
  const issuesOf = (sku: string) => issues.filter((issue) => issue.targetId === lineElementId(sku));

  return (
    <section id={CHECKOUT_FIELD_IDS.review} className="summary-card" tabIndex={-1} aria-labelledby="order-review-title">
      <div className="summary-card__header">
        <h2 id="order-review-title">Your order</h2>
        <Link to="/cart">Edit cart</Link>
      </div>
      {cartIssues.map((issue) => (
        <p key={issue.text} className="field__error">
          <span className="visually-hidden">Error:</span> {issue.text}
        </p>
      ))}
      {lines.length === 0 ? (
        <p className="muted">
          Your cart is empty. <Link to="/">Browse the shop</Link>
        </p>
      ) : (
        <ul className="review-lines">
          {lines.map((line) => (
            <li key={line.sku} id={lineElementId(line.sku)} tabIndex={-1} className="review-line">
              <span>
                {line.quantity} × {line.product?.name ?? line.sku}
              </span>
              <span>{line.product ? formatPrice(line.product.priceCents * line.quantity) : ''}</span>
              <StockWarning warning={stockWarning(line, availableBySku?.get(line.sku))} />
              {issuesOf(line.sku).map((issue) => (
                <p key={issue.text} className="field__error review-line__error">
                  <span className="visually-hidden">Error:</span> {issue.text}
                </p>
              ))}
            </li>
          ))}
        </ul>
      )}
      <p className="summary-card__row summary-card__total">
        <span>Total</span>
        <strong>{totalCents === null ? 'Prices not loaded yet' : formatPrice(totalCents)}</strong>
      </p>
    </section>
  );
}

function StockWarning({ warning }: { warning: string | null }) {
  if (!warning) return null;
  return (
    <p className="cart-line__warning review-line__error">
      <span className="visually-hidden">Warning:</span> {warning}
    </p>
  );
}
