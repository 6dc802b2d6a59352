import type { AuthorizationView, AuthorizeRequest } from '@shop/contracts';
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { requestHash, runIdempotent, storedAnswer, storedAnswerIfAny, type CallOutcome } from '../idempotency/idempotent-call';
import { ProviderError } from '../http/provider-error';
import { authorizationOutcome, nextStatus, requiredStatus, type AuthorizationAction } from './authorization-policy';
import { appendLedger, insertAuthorizationOnce, lockAuthorization, tokenBehaviour, updateStatus } from './authorizations.repository';

export const newAuthorizationId = (): string => `auth_${randomBytes(12).toString('base64url')}`;

export class AuthorizationsService {
  constructor(private readonly pool: Pool) {}

  /**
   * Holds the amount on the card, or records the decline; with its ledger row and its key, in one
   * statement (see insertAuthorizationOnce): the card's behaviour is read first, so the answer is
   * known before anything is written. `hangs` is set on the first answer for a card that hangs
   * (never on a replay).
   */
  async authorize(idempotencyKey: string, request: AuthorizeRequest): Promise<CallOutcome & { hangs: boolean }> {
    const call = { endpoint: 'authorize', key: idempotencyKey, request };
    const hash = requestHash(request);
    const behaviour = await tokenBehaviour(this.pool, request.token);
    if (behaviour === null) {
      // Nothing to write; a key already taken still answers as it did (or as a key reused).
      const earlier = await storedAnswerIfAny(this.pool, call, hash);
      if (earlier) return { ...earlier, hangs: false };
      throw ProviderError.field(400, 'invalid_token', 'token', 'is not a token this provider issued; tokenize the card first');
    }
    const authorization: AuthorizationView & { token: string } = {
      id: newAuthorizationId(),
      reference: request.reference,
      token: request.token,
      amountCents: request.amountCents,
      currency: request.currency,
      ...authorizationOutcome(behaviour),
    };
    const stored = await insertAuthorizationOnce(this.pool, { endpoint: call.endpoint, key: idempotencyKey, requestHash: hash }, authorization);
    if (stored === null) return { ...(await storedAnswer(this.pool, call, hash)), hangs: false };
    return { status: 201, body: stored, replayed: false, hangs: behaviour === 'hangs' };
  }

  /** Captures, voids or refunds the whole amount, once per key; the row lock makes concurrent actions take turns. */
  async act(action: AuthorizationAction, authorizationId: string, idempotencyKey: string): Promise<CallOutcome> {
    return runIdempotent(this.pool, { endpoint: action, key: idempotencyKey, request: { authorizationId } }, async (client) => {
      const authorization = await lockAuthorization(client, authorizationId);
      if (authorization === null) throw ProviderError.field(404, 'not_found', 'id', `no authorization ${authorizationId}`);
      const status = nextStatus(action, authorization.status);
      if (status === null) {
        throw new ProviderError(
          409,
          'invalid_state',
          `authorization ${authorization.id} is ${authorization.status}; it can be ${PAST[action]} only when ${requiredStatus(action)}`,
          undefined,
          authorization,
        );
      }
      const updated: AuthorizationView = await updateStatus(client, authorization.id, status);
      await appendLedger(client, { authorizationId: updated.id, reference: updated.reference, kind: action, amountCents: updated.amountCents });
      return { status: 200, body: updated };
    });
  }
}

const PAST: Record<AuthorizationAction, string> = { capture: 'captured', void: 'voided', refund: 'refunded' };
