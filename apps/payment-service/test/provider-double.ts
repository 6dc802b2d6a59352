/**
 * TEMPORARY SEAM: a small in-test HTTP server implementing the provider's contract
 * (libs/contracts/src/payment-provider.ts) while the real stand-in, apps/payment-provider, is built
 * in parallel. When it lands, `startProvider()` starts that instead (its own process and database)
 * and this file shrinks to that; nothing else in the tests knows what runs behind the URL.
 *
 * Semantics kept from the contract: Bearer secret key; an Idempotency-Key on every call that moves
 * money (same key: the first result again, never a second movement; same key with another body: 422;
 * while the first call runs: 409); a decline is a 402 with the declined authorization; capture,
 * void and refund of an authorization in the wrong state are 409 invalid_state naming its status;
 * `tok_hang` authorizes but the first answer never comes (a retry with the same key gets it).
 */
import { TEST_CARDS, type AuthorizationView, type LedgerEntry } from '@shop/contracts';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProviderHandle {
  url: string;
  close: () => Promise<void>;
  /** Every movement (authorize, capture, void, refund), oldest first; only those of one order with `reference`. */
  ledger: (reference?: string) => Promise<LedgerEntry[]>;
}

const DECLINES: Record<string, { declineCode: string; declineReason: string }> = {
  tok_declined: { declineCode: 'card_declined', declineReason: 'The card was declined.' },
  tok_insufficient_funds: { declineCode: 'insufficient_funds', declineReason: 'The card has insufficient funds.' },
};
const HANG: (typeof TEST_CARDS)[number]['token'] = 'tok_hang';
const TRANSITIONS = { capture: ['authorized', 'captured'], void: ['authorized', 'voided'], refund: ['captured', 'refunded'] } as const;

interface Answer {
  status: number;
  body: unknown;
}

/** Starts the provider on 127.0.0.1 (`port`: a chosen one, e.g. to bring it back where the service expects it). */
export async function startProvider(options: { port?: number; apiKey?: string } = {}): Promise<ProviderHandle> {
  const apiKey = options.apiKey ?? 'sk_test_shop';
  const authorizations = new Map<string, AuthorizationView>();
  const ledger: LedgerEntry[] = [];
  const idempotency = new Map<string, { fingerprint: string; answer: Answer | null }>();

  const move = (authorization: AuthorizationView, kind: LedgerEntry['kind']) =>
    ledger.push({
      authorizationId: authorization.id,
      reference: authorization.reference,
      kind,
      amountCents: authorization.amountCents,
      at: new Date().toISOString(),
    });

  function authorize(body: Record<string, unknown>): Answer {
    const { token, amountCents, currency, reference } = body;
    if (typeof token !== 'string' || !/^tok_[A-Za-z0-9_-]+$/.test(token) || !Number.isInteger(amountCents) || (amountCents as number) < 1) {
      return { status: 400, body: { error: 'invalid_request', message: 'token, amountCents, currency and reference are required' } };
    }
    if (typeof currency !== 'string' || currency.length !== 3 || typeof reference !== 'string' || reference === '') {
      return { status: 400, body: { error: 'invalid_request', message: 'currency: must be 3 letters; reference: required' } };
    }
    const decline = DECLINES[token];
    const authorization: AuthorizationView = {
      id: `auth_${randomUUID().replace(/-/g, '')}`,
      reference,
      status: decline ? 'declined' : 'authorized',
      amountCents: amountCents as number,
      currency,
      declineCode: decline?.declineCode ?? null,
      declineReason: decline?.declineReason ?? null,
    };
    authorizations.set(authorization.id, authorization);
    if (decline) return { status: 402, body: authorization };
    move(authorization, 'authorize');
    return { status: 201, body: authorization };
  }

  function change(id: string, operation: keyof typeof TRANSITIONS): Answer {
    const authorization = authorizations.get(id);
    if (!authorization) return { status: 404, body: { error: 'not_found', message: `no authorization ${id}` } };
    const [from, to] = TRANSITIONS[operation];
    if (authorization.status !== from) {
      return { status: 409, body: { error: 'invalid_state', message: `cannot ${operation} an authorization that is ${authorization.status}`, authorization } };
    }
    authorization.status = to;
    move(authorization, operation);
    return { status: 200, body: { ...authorization } };
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const send = ({ status, body }: Answer) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.headers.authorization !== `Bearer ${apiKey}`) return send({ status: 401, body: { error: 'unauthorized', message: 'a secret key is required' } });
      const url = new URL(req.url ?? '/', 'http://provider');
      if (req.method === 'GET' && url.pathname === '/v1/ledger') {
        const reference = url.searchParams.get('reference');
        return send({ status: 200, body: ledger.filter((entry) => reference === null || entry.reference === reference) });
      }
      // null for POST /v1/authorizations itself.
      const operation = /^\/v1\/authorizations\/([^/]+)\/(capture|void|refund)$/.exec(url.pathname);
      if (req.method !== 'POST' || (!operation && url.pathname !== '/v1/authorizations')) {
        return send({ status: 404, body: { error: 'not_found', message: `${req.method} ${url.pathname}` } });
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return send({ status: 400, body: { error: 'invalid_request', message: 'the body is not JSON' } });
      }
      const key = req.headers['idempotency-key'];
      if (typeof key !== 'string' || key === '') return send({ status: 400, body: { error: 'invalid_request', message: 'Idempotency-Key is required' } });
      const fingerprint = createHash('sha256')
        .update(`${url.pathname} ${JSON.stringify(body)}`)
        .digest('hex');
      const seen = idempotency.get(key);
      if (seen && seen.fingerprint !== fingerprint)
        return send({ status: 422, body: { error: 'idempotency_mismatch', message: 'this key was used with another request' } });
      if (seen)
        return send(seen.answer ?? { status: 409, body: { error: 'idempotency_in_progress', message: 'the first call with this key is still running' } });
      const answer = operation ? change(decodeURIComponent(operation[1]), operation[2] as keyof typeof TRANSITIONS) : authorize(body);
      idempotency.set(key, { fingerprint, answer });
      // The money is held and the answer kept; only this first answer never leaves (an unknown outcome for the caller).
      if (!operation && body.token === HANG) return;
      send(answer);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ledger: async (reference) => ledger.filter((entry) => reference === undefined || entry.reference === reference),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
