import type { TokenizeCardRequest, TokenView } from '@shop/contracts';
import { requestJson } from './http';

/**
 * The card processor, as the browser talks to it: only to turn a card into a token. The path is the
 * shop's own origin; the dev server, preview and nginx forward `/payment-provider/` to the provider,
 * so the card number goes to the provider and never to /api, and the CSP's connect-src stays 'self'.
 */
export const PAYMENT_PROVIDER_PATH = '/payment-provider';

/** Thrown when the card could not be tokenized: `cause` is the provider's ApiError (4xx, 5xx) or fetch's TypeError. */
export class CardTokenizationError extends Error {
  constructor(readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : 'The card could not be tokenized');
    this.name = 'CardTokenizationError';
  }
}

export const paymentProvider = {
  /** POST /v1/tokens at the provider; the answer's token is all the order carries. */
  tokenizeCard: async (card: TokenizeCardRequest['card']): Promise<TokenView> => {
    try {
      return await requestJson<TokenView>(`${PAYMENT_PROVIDER_PATH}/v1/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ card } satisfies TokenizeCardRequest),
      });
    } catch (error) {
      throw new CardTokenizationError(error);
    }
  },
};
