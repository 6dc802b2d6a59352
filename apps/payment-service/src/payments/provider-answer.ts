import type { AuthorizationStatus, AuthorizationView } from '@shop/contracts';
import { z } from 'zod';

export type ProviderOperation = 'authorize' | 'capture' | 'void' | 'refund';

const AUTHORIZATION_STATUSES = ['authorized', 'declined', 'captured', 'voided', 'refunded'] as const satisfies readonly AuthorizationStatus[];

/** The provider's AuthorizationView (libs/contracts/src/payment-provider.ts), read tolerantly: other fields are dropped. */
const authorizationViewSchema = z.object({
  id: z.string().min(1).max(200),
  reference: z.string(),
  status: z.enum(AUTHORIZATION_STATUSES),
  amountCents: z.number().int().min(0),
  currency: z.string().length(3),
  declineCode: z.string().min(1).nullable().default(null),
  declineReason: z.string().min(1).nullable().default(null),
}) satisfies z.ZodType<AuthorizationView>;

/**
 * What one HTTP answer of the provider means for the shop:
 * - `answered`: the authorization as the provider has it now (a decline is an answer, whatever its status code);
 * - `invalid-state`: 409 invalid_state: the call does not fit the authorization's state (`current`, when the body says);
 * - `unavailable`: no answer about this payment: the provider is down or busy (5xx, 429), an earlier call with
 *   this key is still running (another 409), or it refuses our API key (401, 403: our configuration, not the order);
 *   retried with the same idempotency key until it answers, without counting attempts;
 * - `refused`: any other 4xx (400, 404, 422): the request itself is wrong, and sending it again cannot help;
 * - `malformed`: a success whose body is not an authorization: the provider's bug, retried a few times.
 */
export type ProviderAnswer =
  | { kind: 'answered'; authorization: AuthorizationView }
  | { kind: 'invalid-state'; current: AuthorizationStatus | null; message: string }
  /** `outcomeUnknown`: the provider may have acted on the request (a 5xx, the same key still running); false when it surely did not. */
  | { kind: 'unavailable'; message: string; outcomeUnknown: boolean }
  | { kind: 'refused'; message: string }
  /** The provider does not know the card's token (`invalid_token`): a card the shopper must enter again, so a decline, not an operator's problem. */
  | { kind: 'unknown-token'; message: string }
  | { kind: 'malformed'; message: string };

/** `{ code: 'invalid_state', message }` (the stand-in's, beside the HTTP `error` name), `{ error: 'invalid_state' }` or Stripe's `{ error: { code, message } }`. */
function errorOf(body: unknown): { code: string | null; message: string | null; authorization: unknown } {
  const record = (body ?? {}) as Record<string, unknown>;
  const nested = typeof record.error === 'object' && record.error !== null ? (record.error as Record<string, unknown>) : {};
  const text = (...values: unknown[]) => (values.find((value) => typeof value === 'string' && value !== '') as string | undefined) ?? null;
  return {
    code: text(record.code, nested.code, nested.type, record.error),
    message: text(record.message, nested.message, record.detail),
    authorization: record.authorization ?? nested.authorization ?? null,
  };
}

const statusOf = (value: unknown): AuthorizationStatus | null =>
  typeof value === 'string' && (AUTHORIZATION_STATUSES as readonly string[]).includes(value) ? (value as AuthorizationStatus) : null;

export function readProviderAnswer(operation: ProviderOperation, httpStatus: number, body: unknown): ProviderAnswer {
  const view = authorizationViewSchema.safeParse(body);
  if (httpStatus >= 200 && httpStatus < 300) {
    return view.success
      ? { kind: 'answered', authorization: view.data }
      : { kind: 'malformed', message: `${operation}: ${httpStatus} without an authorization in its body` };
  }
  const error = errorOf(body);
  const said = `${httpStatus}${error.code ? ` ${error.code}` : ''}${error.message ? `: ${error.message}` : ''}`;
  if (operation === 'authorize' && httpStatus >= 400 && httpStatus < 500) {
    // A decline comes as an error status (402) with the declined authorization, in the body or under `authorization`.
    const declined = view.success ? view : authorizationViewSchema.safeParse(error.authorization);
    if (declined.success && declined.data.status === 'declined') return { kind: 'answered', authorization: declined.data };
  }
  if (httpStatus === 409 && error.code === 'invalid_state') {
    const current = statusOf((error.authorization as { status?: unknown } | null)?.status) ?? statusOf((body as { status?: unknown } | null)?.status);
    return { kind: 'invalid-state', current, message: `the provider refused to ${operation}: ${said}` };
  }
  if (httpStatus === 401 || httpStatus === 403) {
    return { kind: 'unavailable', message: `the provider refused our API key (${said}): check PAYMENT_PROVIDER_API_KEY`, outcomeUnknown: false };
  }
  if (httpStatus >= 500 || httpStatus === 409) {
    return { kind: 'unavailable', message: `the provider could not ${operation} now: ${said}`, outcomeUnknown: true };
  }
  if (httpStatus === 408 || httpStatus === 425 || httpStatus === 429) {
    return { kind: 'unavailable', message: `the provider could not ${operation} now: ${said}`, outcomeUnknown: false };
  }
  if (operation === 'authorize' && httpStatus === 400 && error.code === 'invalid_token') {
    return { kind: 'unknown-token', message: `the provider does not know the card's token: ${said}` };
  }
  if (httpStatus >= 400 && httpStatus < 500) return { kind: 'refused', message: `the provider refused the ${operation} request: ${said}` };
  return { kind: 'malformed', message: `${operation}: unexpected ${said}` };
}
