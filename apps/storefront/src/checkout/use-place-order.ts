import { useRef } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreateOrderRequest } from '@shop/contracts';
import { queryKeys } from '../api/queries';
import { shopApi } from '../api/shop-api';

/**
 * Places an order under an Idempotency-Key drawn once per checkout attempt and reused by every retry
 * (a double click, a retry after a network error) until an order is created, so the server stores at
 * most one order per attempt even when a response was lost on the way back.
 */
export function usePlaceOrder() {
  const queryClient = useQueryClient();
  const idempotencyKey = useRef<string | null>(null);

  return useMutation({
    mutationFn: (request: CreateOrderRequest) => {
      idempotencyKey.current ??= newIdempotencyKey();
      return shopApi.placeOrder(request, idempotencyKey.current);
    },
    retry: false,
    onSuccess: (order) => {
      idempotencyKey.current = null;
      // The order page opens on the order we already have instead of fetching it again.
      queryClient.setQueryData(queryKeys.order(order.id), order);
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
