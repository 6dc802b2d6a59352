import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { createOrderRequestSchema } from '@shop/contracts';
import { useStockLevels, useSystemStatus } from '../api/queries';
import { usePricedCart } from '../cart/use-priced-cart';
import { stockWarning } from '../cart/stock-warning';
import { formatPrice, plural } from '../format';
import { TextField } from '../layout/text-field';
import { usePageTitle } from '../layout/use-page-title';
import { recordPlacedOrder } from '../orders/placed-orders';
import { EMPTY_CARD, readCard, type CardInput } from './card-details';
import { CardFields } from './card-fields';
import { CHECKOUT_FIELD_IDS, describeFailure, issuesFromZod, placeIssues, type FieldIssue } from './checkout-issues';
import { ErrorSummary } from './error-summary';
import { OrderReview } from './order-review';
import { loadCustomer, saveCustomer } from './saved-customer';
import { usePlaceOrder } from './use-place-order';

const STOCK_NOTICE_ID = 'checkout-stock-notice';
/** The order body but its payment, which the card's token completes once the provider has made it. */
const orderDetailsSchema = createOrderRequestSchema.omit({ payment: true });

export function CheckoutPage() {
  usePageTitle('Checkout');
  const navigate = useNavigate();
  const { cart, lines, totalCents } = usePricedCart();
  const placeOrder = usePlaceOrder();
  const stock = useStockLevels();
  const confirmationsDelayed = useSystemStatus().data?.confirmations === 'delayed';

  const [customer, setCustomer] = useState(loadCustomer);
  // The card stays in this component's memory: never saved, never sent to /api.
  const [card, setCard] = useState<CardInput>(EMPTY_CARD);
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  // Each failed attempt remounts the error summary, which then takes focus.
  const [failedAttempts, setFailedAttempts] = useState(0);

  const placed = placeIssues(issues, lines);
  const errorOf = (field: string) => placed.find((issue) => issue.field === field)?.text;

  const showIssues = (found: FieldIssue[]) => {
    setIssues(found);
    setFailedAttempts((count) => count + 1);
  };

  const editCustomer = (field: 'name' | 'email', value: string) => {
    setCustomer((current) => ({ ...current, [field]: value }));
    setIssues((current) => current.filter((issue) => issue.field !== `customer.${field}`));
  };

  const editCard = (field: keyof CardInput, value: string) => {
    setCard((current) => ({ ...current, [field]: value }));
    // The provider's refusal of the whole card goes with any edit of it.
    setIssues((current) => current.filter((issue) => issue.field !== `payment.card.${field}` && issue.field !== 'payment.card'));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (placeOrder.isPending) return;

    // The same schema the server validates with, so the messages match the server's word for word.
    const parsed = orderDetailsSchema.safeParse({ customer, lines: cart.lines });
    const discontinued = lines.flatMap((line, index) =>
      line.discontinued ? [{ field: `lines.${index}.sku`, message: 'is no longer sold: remove it from your cart' }] : [],
    );
    const reading = readCard(card);
    if (!parsed.success || discontinued.length > 0 || !reading.card) {
      showIssues([...(parsed.success ? [] : issuesFromZod(parsed.error.issues)), ...reading.issues, ...discontinued]);
      return;
    }

    setIssues([]);
    placeOrder.mutate(
      { order: parsed.data, card: reading.card },
      {
        onSuccess: (order) => {
          cart.clear();
          saveCustomer(parsed.data.customer);
          recordPlacedOrder(order);
          navigate(`/orders/${order.id}`, { state: { justPlaced: true } });
        },
        onError: (error) => showIssues(describeFailure(error)),
      },
    );
  };

  // Nothing to order: no form, so there is no button that could send an empty order or show $0.00.
  if (cart.lines.length === 0) {
    return (
      <div className="page">
        <h1 tabIndex={-1}>Checkout</h1>
        <div className="empty-state">
          <p>Your cart is empty.</p>
          <Link to="/" className="button button--primary">
            Browse the shop
          </Link>
        </div>
      </div>
    );
  }

  // The cart's warning again, beside the button that would send the order: the server would reject it the same way.
  const availableBySku = stock.offline ? undefined : stock.availableBySku;
  const beyondStock = lines.filter((line) => stockWarning(line, availableBySku?.get(line.sku)) !== null).length;
  const stockNotice = stock.offline
    ? 'We cannot see stock levels just now: stock is checked later, when your order is reserved.'
    : beyondStock > 0
      ? `${plural(beyondStock, 'item')} ${beyondStock === 1 ? 'is' : 'are'} more than we have in stock now: this order would be rejected unless more arrives.`
      : null;

  return (
    <div className="page">
      <h1 tabIndex={-1}>Checkout</h1>
      <div className="checkout-layout">
        <form className="checkout-form" onSubmit={submit} noValidate aria-labelledby="your-details-title">
          <ErrorSummary key={failedAttempts} issues={placed} />
          <h2 id="your-details-title">Your details</h2>
          <TextField
            id={CHECKOUT_FIELD_IDS.name}
            label="Name"
            autoComplete="name"
            value={customer.name}
            onChange={(event) => editCustomer('name', event.target.value)}
            error={errorOf('customer.name')}
          />
          <TextField
            id={CHECKOUT_FIELD_IDS.email}
            label="Email"
            type="email"
            autoComplete="email"
            hint="We send no marketing. You can look up your orders with it."
            value={customer.email}
            onChange={(event) => editCustomer('email', event.target.value)}
            error={errorOf('customer.email')}
          />
          <CardFields card={card} onChange={editCard} errorOf={errorOf} />
          {confirmationsDelayed && (
            <p className="notice notice--info">
              Order confirmations are running late right now. We will take your order now, and it will be confirmed by itself; you don't need to do anything.
            </p>
          )}
          {stockNotice && (
            <p id={STOCK_NOTICE_ID} className="notice notice--info">
              {stockNotice}
            </p>
          )}
          <button
            type="submit"
            className="button button--primary button--large"
            disabled={placeOrder.isPending}
            aria-describedby={stockNotice ? STOCK_NOTICE_ID : undefined}
          >
            {placeOrder.isPending ? 'Placing your order…' : totalCents === null ? 'Place order' : `Place order · ${formatPrice(totalCents)}`}
          </button>
        </form>
        <OrderReview lines={lines} totalCents={totalCents} issues={placed} availableBySku={availableBySku} />
      </div>
    </div>
  );
}
