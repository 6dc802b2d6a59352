import { formatPrice } from '../format';
import { QuantityInput } from './quantity-input';
import type { PricedCartLine } from './use-priced-cart';

interface CartLineItemProps {
  line: PricedCartLine;
  /** Units inventory last reported, when it answered. */
  available: number | undefined;
  onQuantityChange: (quantity: number) => void;
  onRemove: () => void;
}

export function CartLineItem({ line, available, onQuantityChange, onRemove }: CartLineItemProps) {
  const name = line.product?.name ?? line.sku;
  // A warning, not a block: stock changes, and the order is checked against real stock when it is reserved.
  const beyondStock = available !== undefined && line.quantity > available;

  return (
    <li className="cart-line">
      {line.product ? (
        <img className="cart-line__image" src={line.product.imageUrl} alt="" width={96} height={72} />
      ) : (
        <div className="cart-line__image cart-line__image--missing" aria-hidden="true" />
      )}
      <div className="cart-line__details">
        <h2 className="cart-line__name">{name}</h2>
        {line.product && <p className="muted">{formatPrice(line.product.priceCents)} each</p>}
        {line.discontinued && <p className="cart-line__warning">No longer sold: please remove it to check out.</p>}
        {beyondStock && <p className="cart-line__warning">Only {available} in stock right now: this order would not be confirmed unless more arrives.</p>}
      </div>
      <QuantityInput id={`quantity-${line.sku}`} label={`Quantity of ${name}`} value={line.quantity} onChange={onQuantityChange} />
      <p className="cart-line__total">{line.product ? formatPrice(line.product.priceCents * line.quantity) : ''}</p>
      <button type="button" className="button button--quiet" onClick={onRemove} aria-label={`Remove ${name}`}>
        Remove
      </button>
    </li>
  );
}
