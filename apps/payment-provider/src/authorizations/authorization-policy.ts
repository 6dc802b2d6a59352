import type { AuthorizationStatus } from '@shop/contracts';
import type { CardBehaviour } from '../tokens/card';

/** What the shop can do to an authorization after it exists. */
export type AuthorizationAction = 'capture' | 'void' | 'refund';
export const AUTHORIZATION_ACTIONS: readonly AuthorizationAction[] = ['capture', 'void', 'refund'];

/** The only legal moves: a hold is captured or voided, a captured amount refunded; every other status is final. */
const TRANSITIONS: Record<AuthorizationAction, { from: AuthorizationStatus; to: AuthorizationStatus }> = {
  capture: { from: 'authorized', to: 'captured' },
  void: { from: 'authorized', to: 'voided' },
  refund: { from: 'captured', to: 'refunded' },
};

/** The status `action` leads to from `current`, or null when the action does not apply there. */
export function nextStatus(action: AuthorizationAction, current: AuthorizationStatus): AuthorizationStatus | null {
  const transition = TRANSITIONS[action];
  return transition.from === current ? transition.to : null;
}

/** The status an action needs, for the message of a refusal. */
export const requiredStatus = (action: AuthorizationAction): AuthorizationStatus => TRANSITIONS[action].from;

export type AuthorizationOutcome =
  | { status: 'authorized'; declineCode: null; declineReason: null }
  | { status: 'declined'; declineCode: 'card_declined' | 'insufficient_funds'; declineReason: string };

/** What the issuer answers for a card: a hold, or a decline with the reason a shopper can read. */
export function authorizationOutcome(behaviour: CardBehaviour): AuthorizationOutcome {
  switch (behaviour) {
    case 'card_declined':
      return { status: 'declined', declineCode: 'card_declined', declineReason: 'Your card was declined.' };
    case 'insufficient_funds':
      return { status: 'declined', declineCode: 'insufficient_funds', declineReason: 'Your card has insufficient funds.' };
    case 'succeeds':
    case 'hangs':
      return { status: 'authorized', declineCode: null, declineReason: null };
  }
}
