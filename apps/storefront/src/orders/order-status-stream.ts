import { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { OrderStatusEvent, OrderView, ShopperStatusView } from '@shop/contracts';
import { PENDING_ORDERS_POLL_MS, queryKeys } from '../api/queries';
import { orderEventsUrl, parseOrderStatusEvent } from '../api/shop-api';
import { awaitsNews } from './order-progress';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'failed' | 'done';

/**
 * Follows an order's server-sent events and writes each one into the cached order, so every view of the
 * order re-renders without a reload. The caller turns it off once no more news is due (awaitsNews),
 * which closes the stream; a cancel turns it on again while the money is being returned.
 * EventSource reconnects by itself after a dropped connection; when it gives up (`failed`, e.g. the
 * server answered an error status) the order is polled instead, so the page still ends up up to date.
 */
export function useOrderStatusStream(orderId: string, enabled: boolean): StreamState {
  const queryClient = useQueryClient();
  const [state, setState] = useState<StreamState>('connecting');

  useEffect(() => {
    if (!enabled) {
      setState('done');
      return;
    }
    setState('connecting');
    const source = new EventSource(orderEventsUrl(orderId));
    source.onopen = () => setState('live');
    source.onmessage = (message: MessageEvent<string>) => {
      const event = parseOrderStatusEvent(message.data);
      if (!event || event.orderId !== orderId) return;
      let settled = false;
      queryClient.setQueryData<OrderView>(queryKeys.order(orderId), (order) => {
        if (!order) return order;
        const next = applyStatusEvent(order, event);
        settled = !awaitsNews(next);
        return next;
      });
      if (event.status !== 'PENDING') {
        // A decision is newer evidence than the last status poll that inventory decides: the strip clears
        // in the same render as the headline, and the refetch confirms or corrects it.
        queryClient.setQueryData<ShopperStatusView>(
          queryKeys.systemStatus,
          (status) => status && { ...status, confirmations: 'prompt', checkedAt: event.updatedAt },
        );
        void queryClient.invalidateQueries({ queryKey: queryKeys.systemStatus });
      }
      // The last news arrived: closed at once rather than at the next render.
      if (settled) {
        source.close();
        setState('done');
      }
    };
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'failed' : 'reconnecting');
    return () => source.close();
  }, [orderId, enabled, queryClient]);

  useEffect(() => {
    if (!enabled || state !== 'failed') return;
    const timer = setInterval(() => queryClient.invalidateQueries({ queryKey: queryKeys.order(orderId) }), PENDING_ORDERS_POLL_MS);
    return () => clearInterval(timer);
  }, [orderId, enabled, state, queryClient]);

  return state;
}

/** An event older than what is shown (a replay after reconnecting) must not move the order back in time. */
export function applyStatusEvent(order: OrderView, event: OrderStatusEvent): OrderView {
  if (Date.parse(event.updatedAt) < Date.parse(order.updatedAt)) return order;
  const { status, statusReason, payment, stockReleased, cancellable, updatedAt } = event;
  return { ...order, status, statusReason, payment, stockReleased, cancellable, updatedAt };
}
