/**
 * The provider in-process on its own throwaway PostgreSQL database, called over HTTP as the shop
 * and the shopper's browser call it; what it did is read back from its API and its tables.
 */
import type { AuthorizationView, LedgerEntry } from '@shop/contracts';
import { createDatabase, waitFor } from '@shop/testing';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { startPaymentProvider, type PaymentProvider } from '../src/server';

const API_KEY = 'sk_test_provider_it';
const HANG_MS = 2_000;

describe('payment-provider', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let provider: PaymentProvider;
  let sql: Pool;

  const start = () => startPaymentProvider({ port: 0, databaseUrl: database.url, apiKey: API_KEY, hangMs: HANG_MS, logLevel: 'silent' });

  beforeAll(async () => {
    database = await createDatabase('payment_provider_it');
    provider = await start();
    sql = new Pool({ connectionString: database.url, max: 2 });
  });

  afterAll(async () => {
    await sql?.end();
    await provider?.close();
    await database?.drop();
  });

  interface CallOptions {
    body?: unknown;
    key?: string;
    apiKey?: string | null;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  }

  async function call(method: string, path: string, options: CallOptions = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.key !== undefined) headers['idempotency-key'] = options.key;
    if (options.apiKey !== null) headers.authorization = `Bearer ${options.apiKey ?? API_KEY}`;
    const response = await fetch(`${provider.url}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
      signal: options.signal,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
  }

  const authorize = (reference: string, key: string, token = 'tok_success', amountCents = 4_200, options: CallOptions = {}) =>
    call('POST', '/v1/authorizations', { key, body: { token, amountCents, currency: 'USD', reference }, ...options });

  const ledgerOf = async (reference: string): Promise<LedgerEntry[]> => (await call('GET', `/v1/ledger?reference=${encodeURIComponent(reference)}`)).body;

  const authorizationsOf = async (reference: string): Promise<AuthorizationView[]> =>
    (await call('GET', `/v1/authorizations?reference=${encodeURIComponent(reference)}`)).body;

  const tokenize = (number: string, extra: Record<string, unknown> = {}) =>
    call('POST', '/v1/tokens', {
      apiKey: null,
      headers: { origin: 'https://shop.example' },
      body: { card: { number, expMonth: 12, expYear: 2099, cvc: '123', ...extra } },
    });

  describe('tokens', () => {
    it('turns a card into a token, from any origin, without the secret key', async () => {
      const response = await tokenize('5555555555554444');
      expect(response.status).toBe(201);
      expect(response.body).toEqual({ token: expect.stringMatching(/^tok_[A-Za-z0-9_-]+$/), brand: 'mastercard', last4: '4444' });
      expect(response.headers.get('access-control-allow-origin')).toBe('*');

      const authorized = await authorize(randomUUID(), randomUUID(), response.body.token);
      expect(authorized.body).toMatchObject({ status: 'authorized' });
    });

    it('answers the browser preflight', async () => {
      const response = await fetch(`${provider.url}/v1/tokens`, {
        method: 'OPTIONS',
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-methods')).toContain('POST');
      expect(response.headers.get('access-control-allow-headers')).toContain('content-type');
    });

    it('gives a documented test number the behaviour of its card', async () => {
      const { body } = await tokenize('4000000000000002');
      expect(body).toMatchObject({ brand: 'visa', last4: '0002' });
      const declined = await authorize(randomUUID(), randomUUID(), body.token);
      expect(declined.body).toMatchObject({ status: 'declined', declineCode: 'card_declined' });
    });

    it('refuses a number failing the Luhn check, naming card.number, with the CORS header so the page can show it', async () => {
      const response = await tokenize('4242424242424241');
      expect(response.status).toBe(422);
      expect(response.body.issues).toEqual([{ field: 'card.number', message: expect.any(String) }]);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
    });

    it('refuses an expired card naming card.expYear, and a malformed one naming its fields', async () => {
      const expired = await tokenize('4242424242424242', { expYear: new Date().getUTCFullYear() - 1 });
      expect(expired.status).toBe(422);
      expect(expired.body.issues.map((issue: { field: string }) => issue.field)).toEqual(['card.expYear']);

      const malformed = await tokenize('4242 4242', { cvc: 'abc', pin: '0000' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.issues.map((issue: { field: string }) => issue.field).sort()).toEqual(['card.cvc', 'card.number', 'card.pin']);
    });

    it('never stores the card number or the CVC', async () => {
      const number = '6011000990139424';
      const { body } = await tokenize(number, { cvc: '8531' });
      expect(body.last4).toBe('9424');

      const columns = await sql.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'tokens'`);
      expect(columns.rows.map((row) => row.column_name).filter((name) => /number|pan|cvc|cvv/i.test(name))).toEqual([]);
      const rows = await sql.query<{ row: string }>(`SELECT t::text AS row FROM tokens t WHERE token = $1`, [body.token]);
      expect(rows.rows).toHaveLength(1);
      expect(rows.rows[0].row).not.toContain(number);
      expect(rows.rows[0].row).not.toContain(number.slice(0, 12));
      for (const table of ['tokens', 'authorizations', 'ledger', 'idempotency']) {
        const found = await sql.query(`SELECT 1 FROM ${table} t WHERE t::text LIKE $1`, [`%${number}%`]);
        expect({ table, rows: found.rowCount }).toEqual({ table, rows: 0 });
      }
    });
  });

  describe('the secret key and the idempotency key', () => {
    it('refuses every secret endpoint without the right key', async () => {
      const reference = randomUUID();
      for (const apiKey of [null, 'sk_wrong']) {
        expect((await authorize(reference, randomUUID(), 'tok_success', 4_200, { apiKey })).status).toBe(401);
        expect((await call('POST', '/v1/authorizations/auth_x/capture', { key: randomUUID(), apiKey })).status).toBe(401);
        expect((await call('GET', '/v1/ledger', { apiKey })).status).toBe(401);
        const listed = await call('GET', '/v1/authorizations', { apiKey });
        expect(listed.status).toBe(401);
        expect(listed.body.issues).toEqual([{ field: 'Authorization', message: expect.any(String) }]);
      }
      expect(await authorizationsOf(reference)).toEqual([]);
    });

    it('refuses a money-moving call without an Idempotency-Key, naming it', async () => {
      const reference = randomUUID();
      const response = await call('POST', '/v1/authorizations', { body: { token: 'tok_success', amountCents: 100, currency: 'USD', reference } });
      expect(response.status).toBe(400);
      expect(response.body.issues).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);
      expect(await authorizationsOf(reference)).toEqual([]);
    });
  });

  describe('authorize', () => {
    it('holds the amount once for one key, however often the call is repeated', async () => {
      const reference = randomUUID();
      const key = `${reference}:authorize`;
      const first = await authorize(reference, key);
      const second = await authorize(reference, key);

      expect(first.status).toBe(201);
      expect(first.body).toEqual({
        id: expect.stringMatching(/^auth_/),
        reference,
        status: 'authorized',
        amountCents: 4_200,
        currency: 'USD',
        declineCode: null,
        declineReason: null,
      });
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(await ledgerOf(reference)).toEqual([{ authorizationId: first.body.id, reference, kind: 'authorize', amountCents: 4_200, at: expect.any(String) }]);
    });

    it('refuses the same key with a different body (422 naming Idempotency-Key) and moves nothing', async () => {
      const reference = randomUUID();
      const key = randomUUID();
      await authorize(reference, key, 'tok_success', 4_200);
      const changed = await authorize(reference, key, 'tok_success', 9_900);

      expect(changed.status).toBe(422);
      expect(changed.body).toMatchObject({ code: 'idempotency_key_reused', issues: [{ field: 'Idempotency-Key', message: expect.any(String) }] });
      expect((await ledgerOf(reference)).map((entry) => entry.amountCents)).toEqual([4_200]);
    });

    it('makes one authorization of ten concurrent calls with one key', async () => {
      const reference = randomUUID();
      const key = randomUUID();
      const responses = await Promise.all(Array.from({ length: 10 }, () => authorize(reference, key)));

      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(201));
      expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
      expect(await authorizationsOf(reference)).toHaveLength(1);
      expect(await ledgerOf(reference)).toHaveLength(1);
    });

    it.each([
      ['tok_declined', 'card_declined', 'Your card was declined.'],
      ['tok_insufficient_funds', 'insufficient_funds', 'Your card has insufficient funds.'],
    ])('declines %s with %s and holds nothing', async (token, declineCode, declineReason) => {
      const reference = randomUUID();
      const response = await authorize(reference, randomUUID(), token);

      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ status: 'declined', declineCode, declineReason });
      expect(await authorizationsOf(reference)).toEqual([response.body]);
      expect(await ledgerOf(reference)).toEqual([]);
    });

    it('refuses an unknown token naming token, and leaves the key free for a corrected call', async () => {
      const reference = randomUUID();
      const key = randomUUID();
      const unknown = await authorize(reference, key, 'tok_never_issued');
      expect(unknown.status).toBe(400);
      expect(unknown.body).toMatchObject({ code: 'invalid_token', issues: [{ field: 'token', message: expect.any(String) }] });
      expect(await authorizationsOf(reference)).toEqual([]);

      expect((await authorize(reference, key, 'tok_success')).body).toMatchObject({ status: 'authorized' });
    });

    it('answers bad input with a 4xx naming the field, never a 5xx', async () => {
      const cases: [unknown, string[]][] = [
        [{ token: 'card_4242', amountCents: 100, currency: 'USD', reference: 'r' }, ['token']],
        [{ token: 'tok_success', amountCents: 0, currency: 'USD', reference: 'r' }, ['amountCents']],
        [{ token: 'tok_success', amountCents: 100, currency: 'U$D', reference: 'r' }, ['currency']],
        [{ token: 'tok_success', amountCents: 100, currency: 'USD', reference: 'r', tip: 1 }, ['tip']],
        [{ token: 'tok_success', amountCents: 100, currency: 'USD', reference: 'nul\u0000' }, ['body']],
        ['{"token": ', ['body']],
        [[], ['body']],
      ];
      for (const [body, fields] of cases) {
        const response = await call('POST', '/v1/authorizations', { key: randomUUID(), body });
        expect({ body, status: response.status, fields: response.body.issues?.map((issue: { field: string }) => issue.field) }).toEqual({
          body,
          status: 400,
          fields,
        });
      }
    });

    it('commits a hanging card at once, answers late, and answers a retry with the same key at once', async () => {
      const reference = randomUUID();
      const key = `${reference}:authorize`;
      // A caller whose timeout is shorter than the hang: for it the outcome is unknown.
      await expect(authorize(reference, key, 'tok_hang', 4_200, { signal: AbortSignal.timeout(200) })).rejects.toThrow();

      const [held] = await waitFor(
        async () => {
          const ledger = await ledgerOf(reference);
          return ledger.length > 0 && ledger;
        },
        { what: 'the hanging authorization in the ledger', timeoutMs: 5_000 },
      );
      expect(held).toMatchObject({ kind: 'authorize', amountCents: 4_200 });

      // Well inside the hang: only the first answer is held back.
      const retry = await authorize(reference, key, 'tok_hang', 4_200, { signal: AbortSignal.timeout(HANG_MS / 2) });
      expect(retry.status).toBe(201);
      expect(retry.body).toMatchObject({ id: held.authorizationId, status: 'authorized' });
      expect(await ledgerOf(reference)).toHaveLength(1);
    });
  });

  describe('capture, void and refund', () => {
    const act = (id: string, action: 'capture' | 'void' | 'refund', key: string = randomUUID()) => call('POST', `/v1/authorizations/${id}/${action}`, { key });

    it('captures an authorization, then refunds it once per key; every other move is a 409 naming the status', async () => {
      const reference = randomUUID();
      const { body: authorization } = await authorize(reference, randomUUID(), 'tok_success', 2_500);

      const captured = await act(authorization.id, 'capture', `${reference}:capture`);
      expect(captured.status).toBe(200);
      expect(captured.body).toMatchObject({ id: authorization.id, status: 'captured' });

      const voidCaptured = await act(authorization.id, 'void');
      expect(voidCaptured.status).toBe(409);
      expect(voidCaptured.body).toMatchObject({ code: 'invalid_state', message: expect.stringContaining('captured') });
      expect((await act(authorization.id, 'capture')).status).toBe(409);

      const refundKey = `${reference}:refund`;
      const [refunded, again] = [await act(authorization.id, 'refund', refundKey), await act(authorization.id, 'refund', refundKey)];
      expect(refunded.status).toBe(200);
      expect(refunded.body).toMatchObject({ status: 'refunded' });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(refunded.body);

      const refundedTwice = await act(authorization.id, 'refund');
      expect(refundedTwice.status).toBe(409);
      expect(refundedTwice.body.message).toContain('refunded');

      expect((await ledgerOf(reference)).map(({ kind, amountCents }) => [kind, amountCents])).toEqual([
        ['authorize', 2_500],
        ['capture', 2_500],
        ['refund', 2_500],
      ]);
      expect(await authorizationsOf(reference)).toEqual([refunded.body]);
    });

    it('voids an authorization once per key; a voided one cannot be captured or refunded', async () => {
      const reference = randomUUID();
      const { body: authorization } = await authorize(reference, randomUUID());

      const key = `${reference}:void`;
      const voids = await Promise.all([act(authorization.id, 'void', key), act(authorization.id, 'void', key)]);
      expect(voids.map((response) => [response.status, response.body.status])).toEqual([
        [200, 'voided'],
        [200, 'voided'],
      ]);
      expect((await act(authorization.id, 'capture')).body).toMatchObject({ code: 'invalid_state', message: expect.stringContaining('voided') });
      expect((await act(authorization.id, 'refund')).status).toBe(409);
      expect((await ledgerOf(reference)).map((entry) => entry.kind)).toEqual(['authorize', 'void']);
    });

    it('lets exactly one of a concurrent capture and void win', async () => {
      const reference = randomUUID();
      const { body: authorization } = await authorize(reference, randomUUID());

      const [capture, voiding] = await Promise.all([act(authorization.id, 'capture'), act(authorization.id, 'void')]);
      expect([capture.status, voiding.status].sort()).toEqual([200, 409]);
      const ledger = await ledgerOf(reference);
      expect(ledger).toHaveLength(2);
      expect((await authorizationsOf(reference))[0].status).toBe(capture.status === 200 ? 'captured' : 'voided');
    });

    it('refuses to move a declined authorization, and answers 404 for an unknown one', async () => {
      const { body: declined } = await authorize(randomUUID(), randomUUID(), 'tok_declined');
      expect((await act(declined.id, 'capture')).body).toMatchObject({ statusCode: 409, code: 'invalid_state', message: expect.stringContaining('declined') });

      const unknown = await act('auth_never_made', 'capture');
      expect(unknown.status).toBe(404);
      expect(unknown.body.issues).toEqual([{ field: 'id', message: expect.any(String) }]);
    });
  });

  it('lists everything without a reference, one page at a time', async () => {
    const all = await call('GET', '/v1/ledger?limit=2');
    expect(all.status).toBe(200);
    expect(all.body).toHaveLength(2);
    const next = await call('GET', '/v1/ledger?limit=2&offset=2');
    expect(next.body[0]).not.toEqual(all.body[0]);
    expect((await call('GET', '/v1/ledger?limit=5000')).status).toBe(400);
  });

  it('keeps everything across a restart: the ledger, the keys and the authorizations', async () => {
    const reference = randomUUID();
    const key = `${reference}:authorize`;
    const { body: before } = await authorize(reference, key);

    await provider.close();
    provider = await start();

    expect((await authorize(reference, key)).body).toEqual(before);
    expect((await call('POST', `/v1/authorizations/${before.id}/capture`, { key: `${reference}:capture` })).body).toMatchObject({ status: 'captured' });
    expect((await ledgerOf(reference)).map((entry) => entry.kind)).toEqual(['authorize', 'capture']);
  });

  it('never writes a card number to its logs, even at trace level and for refused cards', async () => {
    const lines: string[] = [];
    const logged = await startPaymentProvider({
      port: 0,
      databaseUrl: database.url,
      apiKey: API_KEY,
      logLevel: 'trace',
      logStream: { write: (line) => lines.push(line) },
    });
    try {
      const number = '4000056655665556';
      const bodies = [
        { card: { number, expMonth: 12, expYear: 2099, cvc: '123' } },
        { card: { number: `${number.slice(0, 15)}7`, expMonth: 12, expYear: 2099, cvc: '123' } },
        { card: { number, expMonth: 12, expYear: 2001, cvc: '123' } },
        { card: { number, expMonth: 12, expYear: 2099, cvc: '123', name: 'x' } },
      ];
      const statuses: number[] = [];
      for (const body of [...bodies.map((body) => JSON.stringify(body)), `{"card":{"number":"${number}"`]) {
        const response = await fetch(`${logged.url}/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        statuses.push(response.status);
        expect(await response.text()).not.toContain(number.slice(0, 12));
      }
      expect(statuses).toEqual([201, 422, 422, 400, 400]);
      expect(lines.filter((line) => line.includes('/v1/tokens')).length).toBeGreaterThanOrEqual(5);
      expect(lines.filter((line) => line.includes(number.slice(0, 12)))).toEqual([]);
    } finally {
      await logged.close();
    }
  });

  it('creates its tables safely when two replicas start on a new database at once', async () => {
    const fresh = await createDatabase('payment_provider_race');
    const replicas: PaymentProvider[] = [];
    try {
      const started = await Promise.allSettled(
        [1, 2].map(() => startPaymentProvider({ port: 0, databaseUrl: fresh.url, apiKey: API_KEY, logLevel: 'silent' })),
      );
      for (const result of started) if (result.status === 'fulfilled') replicas.push(result.value);
      expect(started.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
      const response = await fetch(`${replicas[1].url}/v1/authorizations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'idempotency-key': 'k', 'content-type': 'application/json' },
        body: JSON.stringify({ token: 'tok_success', amountCents: 1, currency: 'EUR', reference: 'race' }),
      });
      expect(response.status).toBe(201);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
      await fresh.drop();
    }
  });
});
