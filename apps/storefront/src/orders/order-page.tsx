import { useRef } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import type { OrderView } from '@shop/contracts';
import { ApiError } from '../api/http';
import { useOrder, useOrderEmail, useSystemStatus } from '../api/queries';
import { useCart } from '../cart/cart-context';
import { formatDateTime, shortOrderId } from '../format';
import { QueryFailure } from '../layout/query-failure';
import { usePageTitle } from '../layout/use-page-title';
import { CancelOrder } from './cancel-order';
import { OrderLines } from './order-lines';
import { awaitsNews, declineReason, describeRejection, moneyOutcome, rejectionCause } from './order-progress';
import { useOrderStatusStream, type StreamState } from './order-status-stream';
import { StatusTimeline } from './status-timeline';

export function OrderPage() {
  const { orderId = '' } = useParams();
  const justPlaced = (useLocation().state as { justPlaced?: boolean } | null)?.justPlaced === true;
  usePageTitle(`Order ${shortOrderId(orderId)}`);

  const order = useOrder(orderId);
  const stream = useOrderStatusStream(orderId, order.data ? awaitsNews(order.data) : false);
  const systemStatus = useSystemStatus().data;
  const confirmationsDelayed = systemStatus?.confirmations === 'delayed';
  // Re-read with every status answer (every few seconds): an order past the threshold while nothing else holds orders back has stopped moving.
  // PENDING since it was placed, or RESERVED since it got there (its last update): the same thresholds as the operators' stuck list.
  const waitingSince = order.data?.status === 'PENDING' ? order.data.createdAt : order.data?.status === 'RESERVED' ? order.data.updatedAt : null;
  const needsAPerson =
    waitingSince !== null && systemStatus?.confirmations === 'prompt' && Date.now() - Date.parse(waitingSince) > systemStatus.stuckAfterSeconds * 1000;
  const headlineRef = useRef<HTMLParagraphElement>(null);

  return (
    <div className="page page--narrow">
      <h1 tabIndex={-1}>
        {justPlaced ? 'Thank you for your order' : 'Your order'}
        {order.data && <span className="page-subtitle">No. {shortOrderId(order.data.id)}</span>}
      </h1>
      {order.isPending && <p className="muted">Loading your order…</p>}
      {order.isError && <OrderLoadFailure error={order.error} onRetry={() => order.refetch()} />}
      {order.data && (
        <>
          {/* Announced when the status changes, e.g. when the order is confirmed while the shopper waits. */}
          <p ref={headlineRef} tabIndex={-1} className={`order-headline order-headline--${order.data.status.toLowerCase()}`} role="status">
            {headline(order.data)}
          </p>
          <EmailNote order={order.data} />
          <StatusTimeline order={order.data} confirmationsDelayed={confirmationsDelayed} needsAPerson={needsAPerson} />
          <StreamNote state={stream} awaiting={order.data.status === 'PENDING' || order.data.status === 'RESERVED'} />
          {order.data.status === 'REJECTED' && <WhatToDo order={order.data} />}
          {/* Focus goes to the new status once the button that had it is gone. */}
          <CancelOrder order={order.data} onCancelled={() => headlineRef.current?.focus()} />
          <section className="order-details" aria-labelledby="order-details-title">
            <h2 id="order-details-title">Details</h2>
            <p className="muted">
              Placed {formatDateTime(order.data.createdAt)} by {order.data.customer.name} ({order.data.customer.email})
            </p>
            <OrderLines order={order.data} />
          </section>
          <p className="order-actions">
            <Link to="/">Continue shopping</Link>
            <Link to="/orders">My orders</Link>
          </p>
        </>
      )}
    </div>
  );
}

function headline(order: OrderView): string {
  switch (order.status) {
    case 'PENDING':
    case 'RESERVED':
      return 'Your order is accepted and waiting for confirmation.';
    case 'CONFIRMED':
      return 'Your order is confirmed.';
    case 'REJECTED':
      return rejectionCause(order) === 'payment'
        ? `Sorry, your payment was declined: ${declineReason(order)}`
        : `Sorry, we could not confirm your order: ${describeRejection(order)}`;
    case 'CANCELLED':
      return `Your order is cancelled. ${moneyOutcome(order)}`;
  }
}

/**
 * Says where the email about the outcome went, once notification-service has sent it. A polite live
 * region that is always there, so the sentence is announced when it appears a few seconds later.
 */
function EmailNote({ order }: { order: OrderView }) {
  const kind = order.status === 'CONFIRMED' ? 'confirmed' : order.status === 'REJECTED' ? 'rejected' : order.status === 'CANCELLED' ? 'cancelled' : null;
  const email = useOrderEmail(order.id, kind);
  return (
    <p className="email-note" role="status">
      {email && (email.kind === 'confirmed' ? `We emailed the confirmation to ${email.recipient}.` : `We emailed ${email.recipient} about it.`)}
    </p>
  );
}

/**
 * Checkout emptied the cart; a rejected order's items go back into it so the shopper can retry: with
 * fewer items when stock was short, with another card when the payment was declined.
 */
function WhatToDo({ order }: { order: OrderView }) {
  const cart = useCart();
  const navigate = useNavigate();
  const putBack = (to: string) => {
    for (const line of order.lines) cart.add(line.sku, line.quantity);
    navigate(to);
  };
  if (rejectionCause(order) === 'payment') {
    return (
      <div className="notice notice--neutral">
        <p>{order.stockReleased ? 'Try another card — your items were put back.' : 'Your card was not charged. We are putting your items back…'}</p>
        <button type="button" className="button" onClick={() => putBack('/checkout')}>
          Try another card
        </button>
      </div>
    );
  }
  return (
    <div className="notice notice--neutral">
      <p>Nothing was reserved and nothing was charged. Put the items back in your cart to change them and order again.</p>
      <button type="button" className="button" onClick={() => putBack('/cart')}>
        Put these items back in my cart
      </button>
    </div>
  );
}

function StreamNote({ state, awaiting }: { state: StreamState; awaiting: boolean }) {
  if (!awaiting) return null;
  const text: Record<StreamState, string> = {
    connecting: 'Connecting for live updates…',
    live: 'This page updates by itself; no need to reload.',
    reconnecting: 'Live updates paused; reconnecting…',
    failed: 'Live updates are unavailable; checking for changes every few seconds.',
    done: '',
  };
  return <p className="muted small live-note">{text[state]}</p>;
}

function OrderLoadFailure({ error, onRetry }: { error: Error; onRetry: () => void }) {
  if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
    return (
      <div className="notice notice--error" role="alert">
        <p>
          We could not find this order. Check the link, or look it up under <Link to="/orders">My orders</Link>.
        </p>
      </div>
    );
  }
  return <QueryFailure what="your order" onRetry={onRetry} />;
}
