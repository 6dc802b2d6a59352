import { useEffect, useRef, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { OrderView } from '@shop/contracts';
import { ApiError } from '../api/http';
import { queryKeys, useShopperSession } from '../api/queries';
import { shopApi } from '../api/shop-api';
import { cancelTokenOf } from './placed-orders';

/** The 409's words: the order moved on (rejected, or cancelled already) between the page's last news and the click. */
export const NO_LONGER_CANCELLABLE = 'This order can no longer be cancelled.';

/**
 * "Cancel order", then a confirm step, while the order is cancellable and this browser may cancel it:
 * it placed the order (its cancelToken is kept with the placed orders) or its session's email is the
 * order's (the cookie is the capability). Nothing is cancelled by the first click.
 */
export function CancelOrder({ order, onCancelled }: { order: OrderView; onCancelled: () => void }) {
  const queryClient = useQueryClient();
  const cancelToken = cancelTokenOf(order.id);
  // The session is asked for only once this visit has seen one (signed in, or found on My orders): asking
  // every visitor would answer most of them 401, an error in every browser console, for nothing. (Data,
  // not state: this very hook puts the query in the cache, disabled, at its first render.)
  const sessionKnown = Boolean(queryClient.getQueryData(queryKeys.session));
  const session = useShopperSession({ enabled: order.cancellable && cancelToken === null && sessionKnown });
  const signedInAsCustomer = session.data?.email === order.customer.email;
  const [confirming, setConfirming] = useState(false);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const confirmTitle = useRef<HTMLHeadingElement>(null);

  const cancel = useMutation({
    mutationFn: () => shopApi.cancelOrder(order.id, cancelToken),
    onSuccess: (cancelled) => {
      setConfirming(false);
      if (cancelled) queryClient.setQueryData(queryKeys.order(order.id), cancelled);
      else void queryClient.invalidateQueries({ queryKey: queryKeys.order(order.id) });
      onCancelled();
    },
    // Whatever the refusal, the page shows the order as it now stands.
    onError: () => queryClient.invalidateQueries({ queryKey: queryKeys.order(order.id) }),
  });

  useEffect(() => {
    if (confirming) confirmTitle.current?.focus();
  }, [confirming]);

  const error = cancel.isError && (
    <p className="notice notice--error" role="alert">
      {describeCancelFailure(cancel.error)}
    </p>
  );
  if (!order.cancellable) return error || null;
  if (cancelToken === null && !signedInAsCustomer) {
    return (
      <p className="muted small">To cancel this order, open it in the browser that placed it, or sign in under My orders with the email it was placed with.</p>
    );
  }

  const keep = () => {
    setConfirming(false);
    cancel.reset();
    // Back to the button that opened the step, once it is rendered again.
    setTimeout(() => cancelButton.current?.focus());
  };

  return (
    <div className="cancel-order">
      {error}
      {confirming ? (
        <section className="notice notice--neutral" aria-labelledby="cancel-order-title">
          <h2 id="cancel-order-title" ref={confirmTitle} tabIndex={-1}>
            Cancel this order?
          </h2>
          <p>
            {order.status === 'CONFIRMED'
              ? 'Your items go back on the shelf and the payment is refunded to your card.'
              : 'Your items go back on the shelf and any hold on your card is released.'}
          </p>
          <div className="cancel-order__actions">
            <button type="button" className="button button--danger" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
              {cancel.isPending ? 'Cancelling…' : 'Yes, cancel this order'}
            </button>
            <button type="button" className="button" onClick={keep} disabled={cancel.isPending}>
              Keep my order
            </button>
          </div>
        </section>
      ) : (
        <button ref={cancelButton} type="button" className="button" onClick={() => setConfirming(true)}>
          Cancel order
        </button>
      )}
    </div>
  );
}

function describeCancelFailure(error: Error): string {
  if (error instanceof ApiError) {
    if (error.status === 409) return NO_LONGER_CANCELLABLE;
    if (error.status === 401 || error.status === 403) {
      return 'This browser may not cancel this order. Sign in under My orders with the email it was placed with, then try again.';
    }
    return `We could not cancel your order just now (error ${error.status}). Please try again.`;
  }
  return 'We could not reach the shop just now, so your order is not cancelled yet. Please try again.';
}
