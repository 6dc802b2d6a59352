import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PROVIDER_IDEMPOTENCY_HEADER, type AuthorizationStatus, type AuthorizationView, type AuthorizeRequest } from '@shop/contracts';
import { UnprocessableMessageError } from '@shop/messaging';
import { singletonMetric } from '@shop/platform';
import { Counter } from 'prom-client';
import { Agent, request } from 'undici';
import { readProviderAnswer, type ProviderOperation } from './provider-answer';

export interface PaymentProviderSettings {
  url: string;
  apiKey: string;
  timeoutMs: number;
}
export const PAYMENT_PROVIDER_SETTINGS = Symbol('PAYMENT_PROVIDER_SETTINGS');

/**
 * No answer about the payment: the provider is unreachable, did not answer within the timeout, or
 * is busy. The outcome is unknown (a timed-out call may have moved money), so the message is
 * retried later with the same idempotency key, which returns the first call's result if there was
 * one. Counted as the service's own outage (see app.ts), never against the message's attempts.
 */
export class ProviderUnavailableError extends Error {
  override name = 'ProviderUnavailableError';

  /** `outcomeUnknown`: the request may have reached the provider and moved money (a timeout, a reset, a 5xx); false when it surely did not (refused). */
  constructor(
    message: string,
    readonly outcomeUnknown: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Failures that say the request never reached the provider: nothing can have happened there. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The provider refused the request itself (400, 404, 422): sending it again cannot help; dead-lettered with the provider's words. */
export class ProviderRefusedRequestError extends UnprocessableMessageError {
  override name = 'ProviderRefusedRequestError';
}

/** A success the shop cannot read: the provider's fault, retried like any unknown failure, then dead-lettered. */
export class ProviderProtocolError extends Error {
  override name = 'ProviderProtocolError';
}

/** The provider's answer to a call that moves money: the authorization as it stands now, or its refusal to change it. */
export type ProviderResult =
  | { kind: 'answered'; authorization: AuthorizationView }
  /** 409 invalid_state: e.g. a void of an authorization already captured; `current` when the provider said. */
  | { kind: 'invalid-state'; current: AuthorizationStatus | null; message: string }
  /** An authorization refused because the provider does not know the card's token: the caller records a decline. */
  | { kind: 'unknown-token'; message: string };

const providerCalls = singletonMetric('payment_provider_calls_total', () => {
  return new Counter({
    name: 'payment_provider_calls_total',
    help: 'Calls to the payment provider, by operation and result (the authorization status it answered, or why it did not)',
    labelNames: ['operation', 'result'],
  });
});

/** For createServiceApp: a provider that does not answer is retried like a database outage. */
export const isProviderOutage = (err: unknown): boolean => err instanceof ProviderUnavailableError;

/**
 * The card processor's API (libs/contracts/src/payment-provider.ts) over undici's `request`: the
 * secret key as a Bearer token, an Idempotency-Key on every call that moves money, every call
 * bounded by `timeoutMs` (the connection, the answer and its body), since it runs inside its
 * message's transaction. `request`, not `fetch`: the same client without the WHATWG layer (web
 * streams, Headers, Response objects), which cost payment-service about a tenth of its CPU
 * (bench/README.md); its diagnostics channels are the ones the OpenTelemetry undici instrumentation
 * follows, so each call is still a span of the order's trace.
 */
@Injectable()
export class PaymentProviderClient implements OnModuleDestroy {
  /** Kept-alive connections to the provider, this client's own. */
  private readonly agent = new Agent();

  constructor(@Inject(PAYMENT_PROVIDER_SETTINGS) private readonly settings: PaymentProviderSettings) {}

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }

  authorize(request: AuthorizeRequest, idempotencyKey: string): Promise<ProviderResult> {
    return this.call('authorize', '/v1/authorizations', request, idempotencyKey);
  }

  capture(authorizationId: string, idempotencyKey: string): Promise<ProviderResult> {
    return this.call('capture', `/v1/authorizations/${encodeURIComponent(authorizationId)}/capture`, {}, idempotencyKey);
  }

  void(authorizationId: string, idempotencyKey: string): Promise<ProviderResult> {
    return this.call('void', `/v1/authorizations/${encodeURIComponent(authorizationId)}/void`, {}, idempotencyKey);
  }

  refund(authorizationId: string, idempotencyKey: string): Promise<ProviderResult> {
    return this.call('refund', `/v1/authorizations/${encodeURIComponent(authorizationId)}/refund`, {}, idempotencyKey);
  }

  private async call(operation: ProviderOperation, path: string, body: object, idempotencyKey: string): Promise<ProviderResult> {
    const { url, apiKey, timeoutMs } = this.settings;
    let status: number;
    let answer: unknown;
    try {
      const response = await request(`${url}${path}`, {
        dispatcher: this.agent,
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          accept: 'application/json',
          [PROVIDER_IDEMPOTENCY_HEADER]: idempotencyKey,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.statusCode;
      const text = await response.body.text();
      try {
        answer = text === '' ? null : JSON.parse(text);
      } catch {
        answer = text;
      }
    } catch (err) {
      // By name, not instanceof: the signal's DOMException may come from another realm (as under Jest).
      const name = (err as { name?: unknown } | null)?.name;
      const timedOut = name === 'TimeoutError' || name === 'AbortError' || TIMEOUT_CODES.has(codeOf(err) ?? '');
      providerCalls.inc({ operation, result: timedOut ? 'timeout' : 'unavailable' });
      const cause = causeOf(err);
      const outcomeUnknown = !NOT_SENT.has(cause);
      const why = timedOut ? `no answer within ${timeoutMs} ms` : `cannot reach ${url} (${cause})`;
      const next = outcomeUnknown ? 'the outcome is unknown, retried with the same idempotency key' : 'retried';
      throw new ProviderUnavailableError(`${idempotencyKey}: ${why}; ${next}`, outcomeUnknown, { cause: err });
    }
    const result = readProviderAnswer(operation, status, answer);
    providerCalls.inc({ operation, result: result.kind === 'answered' ? result.authorization.status : result.kind });
    switch (result.kind) {
      case 'answered':
      case 'invalid-state':
      case 'unknown-token':
        return result;
      case 'unavailable':
        throw new ProviderUnavailableError(`${idempotencyKey}: ${result.message}`, result.outcomeUnknown);
      case 'refused':
        throw new ProviderRefusedRequestError(`${idempotencyKey}: ${result.message}`);
      case 'malformed':
        throw new ProviderProtocolError(`${idempotencyKey}: ${result.message}`);
    }
  }
}

/** undici's own time limits, besides the call's signal. */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What happened, as a code where there is one (ECONNREFUSED...): the socket's error, or the one under it. */
function causeOf(err: unknown): string {
  const own = codeOf(err);
  if (own !== undefined) return own;
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
