import { useRef } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateOrderRequest, OrderView, PlacedOrderView, TokenizeCardRequest } from '@shop/contracts';
import { queryKeys } from '../api/queries';
import { paymentProvider } from '../api/payment-provider';
import { shopApi } from '../api/shop-api';

export interface CheckoutAttempt {
  order: Omit<CreateOrderRequest, 'payment'>;
  card: TokenizeCardRequest['card'];
}

/**
 * Pays and places an order: the card becomes a token at the provider first, and only the token goes
 * into the order. The order goes under an Idempotency-Key drawn once per checkout attempt and reused
 * by every retry (a double click, a retry after a network error) until an order is created, so the
 * server stores at most one order per attempt even when a response was lost on the way back. A retry
 * with the same card reuses its token, so the retried body is the same body.
 */
export function usePlaceOrder() {
  const queryClient = useQueryClient();
  const idempotencyKey = useRef<string | null>(null);
  const lastToken = useRef<{ card: string; token: string } | null>(null);

  return useMutation({
    mutationFn: async ({ order, card }: CheckoutAttempt): Promise<PlacedOrderView> => {
      const cardKey = JSON.stringify(card);
      if (lastToken.current?.card !== cardKey) {
        const { token } = await paymentProvider.tokenizeCard(card);
        lastToken.current = { card: cardKey, token };
      }
      idempotencyKey.current ??= newIdempotencyKey();
      return shopApi.placeOrder({ ...order, payment: { token: lastToken.current.token } }, idempotencyKey.current);
    },
    retry: false,
    onSuccess: ({ cancelToken: _capability, ...order }: PlacedOrderView) => {
      idempotencyKey.current = null;
      lastToken.current = null;
      // The order page opens on the order we already have instead of fetching it again (the capability stays out of the cache).
      queryClient.setQueryData<OrderView>(queryKeys.order(order.id), order);
    },
  });
}

/** crypto.randomUUID exists only in secure contexts; a shop served over plain http on a LAN still needs keys. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
