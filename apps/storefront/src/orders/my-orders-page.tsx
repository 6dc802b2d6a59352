import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { OrderView } from '@shop/contracts';
import { ApiError } from '../api/http';
import { isAwaitingStock, useOrdersByEmail } from '../api/queries';
import { loadCustomer } from '../checkout/saved-customer';
import { formatDateTime, formatPrice, plural, shortOrderId } from '../format';
import { QueryFailure } from '../layout/query-failure';
import { TextField } from '../layout/text-field';
import { usePageTitle } from '../layout/use-page-title';
import { OrderStatusPill } from './order-status-pill';

/** Orders looked up by the email given at checkout; the email lives in the URL so the list can be reloaded or shared. */
export function MyOrdersPage() {
  usePageTitle('My orders');
  const [searchParams, setSearchParams] = useSearchParams();
  const email = searchParams.get('email') ?? '';
  const [draft, setDraft] = useState(() => email || loadCustomer().email);
  const orders = useOrdersByEmail(email);
  // The server validates the email; its 400 names the problem, which belongs under the field.
  const emailError = orders.error instanceof ApiError && orders.error.status === 400 ? orders.error.body?.issues?.[0] : undefined;

  const lookUp = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = draft.trim().toLowerCase();
    if (trimmed) setSearchParams({ email: trimmed });
  };

  return (
    <div className="page page--narrow">
      <h1 tabIndex={-1}>My orders</h1>
      <form className="lookup-form" onSubmit={lookUp} role="search" aria-label="Find your orders">
        <TextField
          id="lookup-email"
          label="Email used at checkout"
          type="email"
          autoComplete="email"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          error={emailError && `Email ${emailError.message}`}
          required
        />
        <button type="submit" className="button button--primary">
          Show orders
        </button>
      </form>
      {email && orders.isPending && <p className="muted">Looking up orders for {email}…</p>}
      {orders.isError && !emailError && <QueryFailure what="your orders" onRetry={() => orders.refetch()} />}
      {orders.data && <OrderList email={email} orders={orders.data} />}
    </div>
  );
}

function OrderList({ email, orders }: { email: string; orders: OrderView[] }) {
  if (orders.length === 0) return <p className="empty-state">No orders yet for {email}.</p>;
  const waiting = orders.filter(isAwaitingStock).length;

  return (
    <section aria-labelledby="order-list-title">
      <h2 id="order-list-title" className="visually-hidden">
        Orders for {email}
      </h2>
      {/* One polite sentence for the whole list: statuses update while the shopper watches. */}
      <p className="muted" role="status">
        {waiting > 0 ? `${plural(waiting, 'order')} waiting for confirmation; this list updates by itself.` : `${plural(orders.length, 'order')}, all settled.`}
      </p>
      <ul className="order-list">
        {orders.map((order) => (
          <li key={order.id} className="order-row">
            <div>
              <Link to={`/orders/${order.id}`} className="order-row__link">
                Order {shortOrderId(order.id)}
              </Link>
              <p className="muted small">
                {formatDateTime(order.createdAt)} ·{' '}
                {plural(
                  order.lines.reduce((sum, line) => sum + line.quantity, 0),
                  'item',
                )}
              </p>
            </div>
            <OrderStatusPill status={order.status} />
            <p className="order-row__total">{formatPrice(order.totalCents)}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
