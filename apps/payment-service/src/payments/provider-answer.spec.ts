import type { AuthorizationView } from '@shop/contracts';
import { readProviderAnswer, type ProviderAnswer, type ProviderOperation } from './provider-answer';

const authorization = (status: AuthorizationView['status'], decline: Partial<AuthorizationView> = {}): AuthorizationView => ({
  id: 'auth_1',
  reference: '9b2f5a3e-0000-4000-8000-000000000001',
  status,
  amountCents: 4_200,
  currency: 'USD',
  declineCode: null,
  declineReason: null,
  ...decline,
});
const declined = authorization('declined', { declineCode: 'insufficient_funds', declineReason: 'The card has insufficient funds.' });

describe('readProviderAnswer: result, retry, or dead letter', () => {
  it.each<[string, ProviderOperation, number, unknown, ProviderAnswer['kind']]>([
    ['an authorization', 'authorize', 201, authorization('authorized'), 'answered'],
    ['a decline in a 200', 'authorize', 200, declined, 'answered'],
    ['a decline as 402 with the authorization', 'authorize', 402, declined, 'answered'],
    ['a decline as 402 under `authorization`', 'authorize', 402, { error: 'card_declined', message: 'declined', authorization: declined }, 'answered'],
    ['a capture', 'capture', 200, authorization('captured'), 'answered'],
    ['a void of a captured authorization', 'void', 409, { error: 'invalid_state', message: 'already captured' }, 'invalid-state'],
    ['the same key still running', 'capture', 409, { error: 'idempotency_in_progress' }, 'unavailable'],
    ['an outage', 'capture', 503, { error: 'unavailable' }, 'unavailable'],
    ['a gateway with an HTML page', 'refund', 502, '<html>Bad gateway</html>', 'unavailable'],
    ['too many requests', 'authorize', 429, null, 'unavailable'],
    ['our API key refused', 'authorize', 401, { error: 'unauthorized' }, 'unavailable'],
    ['a bad request', 'authorize', 400, { error: 'invalid_request', message: 'token: must be a payment token' }, 'refused'],
    ['an unknown authorization', 'capture', 404, { error: 'not_found' }, 'refused'],
    ['the same key with another body', 'authorize', 422, { error: 'idempotency_mismatch' }, 'refused'],
    ['a 402 that is no decline', 'capture', 402, declined, 'refused'],
    ['a success without an authorization', 'capture', 200, { ok: true }, 'malformed'],
  ])('%s (%s, %i)', (_, operation, status, body, kind) => {
    expect(readProviderAnswer(operation, status, body).kind).toBe(kind);
  });

  it("keeps the provider's decline and its words", () => {
    expect(readProviderAnswer('authorize', 402, declined)).toEqual({ kind: 'answered', authorization: declined });
  });

  it('says what the authorization is when the provider refuses a change of state, and the words of any refusal', () => {
    expect(readProviderAnswer('void', 409, { error: 'invalid_state', message: 'already captured', authorization: authorization('captured') })).toEqual({
      kind: 'invalid-state',
      current: 'captured',
      message: 'the provider refused to void: 409 invalid_state: already captured',
    });
    expect(readProviderAnswer('void', 409, { error: { code: 'invalid_state', message: 'it is voided' }, status: 'voided' })).toMatchObject({
      current: 'voided',
    });
    expect(readProviderAnswer('refund', 409, { error: 'invalid_state' })).toMatchObject({ current: null });
    expect(readProviderAnswer('authorize', 400, { error: 'invalid_request', message: 'currency: must be 3 letters' })).toEqual({
      kind: 'refused',
      message: 'the provider refused the authorize request: 400 invalid_request: currency: must be 3 letters',
    });
    expect(readProviderAnswer('authorize', 401, {})).toMatchObject({ message: expect.stringContaining('PAYMENT_PROVIDER_API_KEY') });
  });

  it('tells an outage that may have acted on the request (5xx, the same key still running) from one that surely did not', () => {
    expect(readProviderAnswer('authorize', 500, null)).toMatchObject({ kind: 'unavailable', outcomeUnknown: true });
    expect(readProviderAnswer('authorize', 409, { error: 'idempotency_in_progress' })).toMatchObject({ kind: 'unavailable', outcomeUnknown: true });
    expect(readProviderAnswer('authorize', 429, null)).toMatchObject({ kind: 'unavailable', outcomeUnknown: false });
    expect(readProviderAnswer('authorize', 403, null)).toMatchObject({ kind: 'unavailable', outcomeUnknown: false });
  });
});
