import { formatPrice } from '../format';
import { QuantityInput } from './quantity-input';
import { stockWarning } from './stock-warning';
import type { PricedCartLine } from './use-priced-cart';

interface CartLineItemProps {
  line: PricedCartLine;
  /** Units inventory last reported, when it answered. */
  available: number | undefined;
  /** False while the quantity field holds something that is not a quantity: the line then has no total. */
  quantityValid: boolean;
  onQuantityChange: (quantity: number) => void;
  onQuantityValidityChange: (valid: boolean) => void;
  onRemove: () => void;
}

export function CartLineItem({ line, available, quantityValid, onQuantityChange, onQuantityValidityChange, onRemove }: CartLineItemProps) {
  const name = line.product?.name ?? line.sku;
  const warning = stockWarning(line, available);

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
        {warning && <p className="cart-line__warning">{warning}</p>}
      </div>
      <QuantityInput
        id={`quantity-${line.sku}`}
        label={`Quantity of ${name}`}
        value={line.quantity}
        onChange={onQuantityChange}
        onValidityChange={onQuantityValidityChange}
      />
      <p className="cart-line__total">
        {!quantityValid ? (
          <>
            <span aria-hidden="true">—</span>
            <span className="visually-hidden">No total until the quantity is fixed</span>
          </>
        ) : line.product ? (
          formatPrice(line.product.priceCents * line.quantity)
        ) : (
          ''
        )}
      </p>
      <button type="button" className="button button--quiet" onClick={onRemove} aria-label={`Remove ${name}`}>
        Remove
      </button>
    </li>
  );
}
