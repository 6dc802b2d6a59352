import type { OrderView } from '@shop/contracts';
import { formatPrice } from '../format';

/** The lines as the server priced them at order time. */
export function OrderLines({ order }: { order: OrderView }) {
  return (
    <table className="order-lines">
      <caption className="visually-hidden">Items in this order</caption>
      <thead>
        <tr>
          <th scope="col">Item</th>
          <th scope="col" className="numeric">
            Qty
          </th>
          <th scope="col" className="numeric">
            Price
          </th>
        </tr>
      </thead>
      <tbody>
        {order.lines.map((line) => (
          <tr key={line.sku}>
            <th scope="row">
              {line.name} <span className="muted small sku">{line.sku}</span>
            </th>
            <td className="numeric">{line.quantity}</td>
            <td className="numeric">{formatPrice(line.unitPriceCents * line.quantity)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row" colSpan={2}>
            Total
          </th>
          <td className="numeric">{formatPrice(order.totalCents)}</td>
        </tr>
      </tfoot>
    </table>
  );
}
