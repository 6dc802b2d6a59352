import { useEffect, useRef, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import type { OrderView } from '@shop/contracts';
import { ApiError } from '../api/http';
import { isAwaitingConfirmation, queryKeys, useMyOrders, usePlacedOrderQueries, useShopperSession } from '../api/queries';
import { shopApi } from '../api/shop-api';
import { formatDateTime, formatPrice, plural, shortOrderId } from '../format';
import { QueryFailure } from '../layout/query-failure';
import { usePageTitle } from '../layout/use-page-title';
import { OrderStatusPill } from './order-status-pill';
import { forgetCustomer } from '../checkout/saved-customer';
import { forgetAllPlacedOrders, forgetPlacedOrders, usePlacedOrders } from './placed-orders';
import { SignInLinkForm } from './sign-in-page';
import './my-orders-page.css';

/** How many of this browser's orders the page asks for: each is its own request. */
export const PLACED_ORDERS_SHOWN = 20;

/**
 * Two ways to one's orders, neither of which lists an order for someone who does not hold it: the ids
 * this browser placed (the id is the capability), and the orders of an email whose inbox opened a session.
 */
export function MyOrdersPage() {
  usePageTitle('My orders');
  return (
    <div className="page page--narrow">
      <h1 tabIndex={-1}>My orders</h1>
      <PlacedHere />
      <OrdersForYourEmail />
    </div>
  );
}

/** The button's words, also named next to Sign out. */
export const FORGET_PLACED_ORDERS = 'Forget the orders placed from this browser';

function PlacedHere() {
  const queryClient = useQueryClient();
  const stored = usePlacedOrders();
  const placed = stored.slice(0, PLACED_ORDERS_SHOWN);
  const queries = usePlacedOrderQueries(placed.map((order) => order.id));
  const goneIds = placed.filter((_, index) => isNotFound(queries[index].error)).map((order) => order.id);
  const orders = queries.flatMap((query) => (query.data ? [query.data] : []));
  const failed = queries.filter((query) => query.isError && !isNotFound(query.error));
  const loading = queries.some((query) => query.isPending);

  // An id the server does not know (a database reset, a hand-edited list) is dropped, so it is asked for once.
  const goneKey = goneIds.join(',');
  useEffect(() => {
    if (goneKey) forgetPlacedOrders(goneKey.split(','));
  }, [goneKey]);

  // A shared computer: the next shopper should not find this one's orders listed here.
  const heading = useRef<HTMLHeadingElement>(null);
  const [forgotten, setForgotten] = useState(false);
  const forget = () => {
    forgetAllPlacedOrders();
    forgetCustomer();
    for (const order of stored) queryClient.removeQueries({ queryKey: queryKeys.order(order.id), exact: true });
    setForgotten(true);
    // The button is gone: focus goes to the section it emptied rather than to the top of the page.
    heading.current?.focus();
  };

  return (
    <section aria-labelledby="placed-here-title" className="orders-section">
      <h2 id="placed-here-title" ref={heading} tabIndex={-1}>
        Placed from this browser
      </h2>
      {placed.length === 0 && (
        <p className="empty-state">
          {forgotten
            ? 'No orders are listed for this browser now: they are forgotten here, with the name and email saved for checkout.'
            : 'No orders placed from this browser yet.'}
        </p>
      )}
      {loading && orders.length === 0 && <p className="muted">Loading your orders…</p>}
      {goneIds.length > 0 && <p className="muted">{goneIds.length === 1 ? '1 order is no longer found.' : `${goneIds.length} orders are no longer found.`}</p>}
      {failed.length > 0 && <QueryFailure what={plural(failed.length, 'order')} onRetry={() => failed.forEach((query) => query.refetch())} />}
      {orders.length > 0 && <OrderList orders={orders} label="Orders placed from this browser" />}
      {stored.length > 0 && (
        <div>
          <button type="button" className="button" onClick={forget}>
            {FORGET_PLACED_ORDERS}
          </button>
          <p className="muted small">On a shared computer, so the next person does not see them. The orders stay with the shop.</p>
        </div>
      )}
    </section>
  );
}

function OrdersForYourEmail() {
  const session = useShopperSession();
  return (
    <section aria-labelledby="email-orders-title" className="orders-section">
      <h2 id="email-orders-title">Orders for your email</h2>
      {session.isPending && <p className="muted">Checking whether you are signed in…</p>}
      {session.isError && <QueryFailure what="whether you are signed in" onRetry={() => session.refetch()} />}
      {session.data === null && (
        <>
          <p>Orders placed on another device, or before this browser kept a list, are listed for your email once you open a link we send to it.</p>
          <SignInLinkForm />
        </>
      )}
      {session.data && <SignedInOrders email={session.data.email} />}
    </section>
  );
}

function SignedInOrders({ email }: { email: string }) {
  const queryClient = useQueryClient();
  const placedHere = usePlacedOrders().length > 0;
  const orders = useMyOrders(true);
  const signOut = useMutation({
    mutationFn: shopApi.signOut,
    onSuccess: () => {
      queryClient.setQueryData(queryKeys.session, null);
      queryClient.removeQueries({ queryKey: queryKeys.myOrders });
    },
  });
  // The session expired or was signed out in another tab: back to the form.
  const expired = orders.error instanceof ApiError && orders.error.status === 401;
  useEffect(() => {
    if (expired) queryClient.setQueryData(queryKeys.session, null);
  }, [expired, queryClient]);

  return (
    <>
      <div className="signed-in">
        <p>
          Signed in as <strong>{email}</strong>.
        </p>
        <button type="button" className="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
          Sign out
        </button>
      </div>
      {placedHere && (
        <p className="muted small">
          Signing out leaves the orders placed from this browser listed above: on a shared computer, also use “{FORGET_PLACED_ORDERS}”.
        </p>
      )}
      {signOut.isError && (
        <p className="notice notice--error" role="alert">
          We couldn't sign you out. Please try again.
        </p>
      )}
      {orders.isPending && <p className="muted">Looking up orders for {email}…</p>}
      {orders.isError && !expired && <QueryFailure what="your orders" onRetry={() => orders.refetch()} />}
      {orders.data &&
        (orders.data.length === 0 ? (
          <p className="empty-state">No orders yet for {email}.</p>
        ) : (
          <OrderList orders={orders.data} label={`Orders for ${email}`} />
        ))}
    </>
  );
}

function OrderList({ orders, label }: { orders: OrderView[]; label: string }) {
  const waiting = orders.filter(isAwaitingConfirmation).length;
  return (
    <>
      {/* One polite sentence per list: statuses update while the shopper watches. */}
      <p className="muted" role="status">
        {waiting > 0 ? `${plural(waiting, 'order')} waiting for confirmation; this list updates by itself.` : `${plural(orders.length, 'order')}, all settled.`}
      </p>
      <ul className="order-list" aria-label={label}>
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
    </>
  );
}

function isNotFound(error: Error | null): boolean {
  return error instanceof ApiError && error.status === 404;
}
