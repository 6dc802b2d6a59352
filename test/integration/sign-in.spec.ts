import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { QUEUES, SESSION_COOKIE, SIGN_IN_LINK_SENT_MESSAGE, type SignInRequested } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import { createOrderService } from '../../apps/order-service/src/app';
import { loadOrderServiceConfig } from '../../apps/order-service/src/config';
import { anOrder, ShopHarness, SIGN_IN_SECRET } from './harness';

/** Low limits, so that the tests reach them; every other test uses its own client address and email, and stays under them. */
/** The test stands where the storefront's proxy would, on loopback: its X-Forwarded-For names the client. */
const LIMITS = { SIGN_IN_LINKS_PER_CLIENT: '2', SIGN_IN_LINKS_PER_EMAIL: '3', SIGN_INS_PER_CLIENT: '4', HTTP_TRUSTED_PROXIES: 'loopback' };

/**
 * Sign-in links and shopper sessions (design 1.3, 1.5, 1.7) on the real PostgreSQL and RabbitMQ.
 * The links are read where order-service leaves them for notification-service: the outbox and the
 * queue notifications.sign-in-links (sending the email is notification-service's, tested there).
 */
describe('sign-in links and shopper sessions', () => {
  let shop: ShopHarness;
  const extraApps: NestFastifyApplication[] = [];
  let clients = 0;
  /** A client address of its own (X-Forwarded-For, which loopback is trusted to send here), so no test counts against another's limit. */
  const newClient = () => `203.0.113.${++clients}`;
  let emails = 0;
  const newEmail = (who = 'shopper') => `${who}.${++emails}@example.com`;

  beforeAll(async () => {
    shop = await ShopHarness.create({ orderServiceEnv: LIMITS });
    await shop.startOrderService();
  });

  afterAll(async () => {
    for (const app of extraApps) await app.close();
    await shop.dispose();
  });

  /** Another order-service on the same database and vhost, with these variables on top of the harness's. */
  async function startOrderService(env: NodeJS.ProcessEnv): Promise<string> {
    const app = await createOrderService(
      loadOrderServiceConfig({ ...shop.serviceEnv(shop.databaseUrl('orders'), shop.vhost.url), SIGN_IN_SECRET, ...LIMITS, ...env }),
    );
    await app.listen(0, '127.0.0.1');
    extraApps.push(app);
    return app.getUrl();
  }

  const requestLink = (email: unknown, client = newClient(), base = shop.orderUrl) =>
    fetch(`${base}/api/sessions/link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify({ email }),
    });

  const signIn = (token: string, client = newClient(), base = shop.orderUrl, headers: Record<string, string> = {}) =>
    fetch(`${base}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client, ...headers },
      body: JSON.stringify({ token }),
    });

  /** The links order-service queued for `email`, oldest first, as notification-service will read them. */
  async function linksFor(email: string): Promise<SignInRequested[]> {
    const { rows } = await shop.orders.query<{ payload: SignInRequested }>(
      `SELECT payload FROM outbox WHERE routing_key = 'signin.requested' AND payload->>'email' = $1 ORDER BY created_at`,
      [email],
    );
    return rows.map((row) => row.payload);
  }

  /** A link asked for and read back from the outbox. */
  async function aLink(email = newEmail(), base = shop.orderUrl): Promise<SignInRequested> {
    const before = (await linksFor(email)).length;
    expect((await requestLink(email, newClient(), base)).status).toBe(202);
    const links = await linksFor(email);
    expect(links).toHaveLength(before + 1);
    return links.at(-1)!;
  }

  /** The `shop_session` Set-Cookie of a response, split into its value and attributes (lower case). */
  function sessionCookie(response: Response): { value: string; attributes: string[] } {
    const header = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${SESSION_COOKIE}=`));
    if (!header) throw new Error(`no ${SESSION_COOKIE} cookie among ${JSON.stringify(response.headers.getSetCookie())}`);
    const [pair, ...attributes] = header.split(';').map((part) => part.trim());
    return { value: pair.slice(SESSION_COOKIE.length + 1), attributes: attributes.map((attribute) => attribute.toLowerCase()) };
  }

  /** Signs `email` in through a link and returns the Cookie header that carries the session. */
  async function sessionFor(email: string): Promise<string> {
    const response = await signIn((await aLink(email)).token);
    expect(response.status).toBe(201);
    return `${SESSION_COOKIE}=${sessionCookie(response).value}`;
  }

  const listOrders = (cookie?: string, query = '') => fetch(`${shop.orderUrl}/api/orders${query}`, { headers: cookie ? { cookie } : {} });
  const sessionCount = async () => (await shop.orders.query<{ count: number }>(`SELECT count(*)::int AS count FROM shopper_sessions`)).rows[0].count;

  it('a link request answers 202 with the same status, body and headers for an email with orders and one without, and both links are queued', async () => {
    const known = newEmail('known');
    const unknown = newEmail('unknown');
    expect((await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }], known))).status).toBe(201);

    const answers = [];
    for (const email of [known, unknown]) {
      const response = await requestLink(email);
      const headers = Object.fromEntries([...response.headers].filter(([name]) => name !== 'date'));
      answers.push({ status: response.status, body: await response.json(), headers });
    }
    expect(answers[0]).toEqual({ status: 202, body: { message: SIGN_IN_LINK_SENT_MESSAGE }, headers: expect.any(Object) });
    expect(answers[1]).toEqual(answers[0]);

    for (const email of [known, unknown]) {
      const [link] = await linksFor(email);
      expect(link).toEqual({
        schemaVersion: 1,
        linkId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email,
        token: expect.stringMatching(/^v1\./),
        expiresAt: expect.any(String),
        requestedAt: expect.any(String),
      });
      const { rows } = await shop.orders.query(`SELECT email, used_at FROM sign_in_links WHERE id = $1`, [link.linkId]);
      expect(rows).toEqual([{ email, used_at: null }]);
    }

    // The relay publishes both to notification-service's queue (nobody consumes it in this test).
    const channel = await shop.channel();
    try {
      const queued = await waitFor(
        async () => {
          const seen: string[] = [];
          for (let message = await channel.get(QUEUES.notificationsSignInLinks); message; message = await channel.get(QUEUES.notificationsSignInLinks)) {
            seen.push((JSON.parse(message.content.toString()) as SignInRequested).email);
          }
          await channel.recover();
          return [known, unknown].every((email) => seen.includes(email)) && seen;
        },
        { what: `both links in ${QUEUES.notificationsSignInLinks}` },
      );
      expect(queued).toEqual(expect.arrayContaining([known, unknown]));
    } finally {
      await channel.close().catch(() => undefined);
    }
  });

  it('following the link opens a session: Set-Cookie is HttpOnly, SameSite=Lax, Path=/api, not Secure over http', async () => {
    const email = newEmail();
    const response = await signIn((await aLink(email)).token);
    expect(response.status).toBe(201);
    const session = (await response.json()) as { email: string; expiresAt: string };
    expect(session).toEqual({ email, expiresAt: expect.any(String) });
    expect(response.headers.get('cache-control')).toBe('no-store');

    const cookie = sessionCookie(response);
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie.attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=lax', 'path=/api', `max-age=${168 * 3600}`]));
    expect(cookie.attributes).not.toContain('secure');
    expect(cookie.attributes.filter((attribute) => attribute.startsWith('domain'))).toEqual([]);

    const current = await fetch(`${shop.orderUrl}/api/sessions/current`, { headers: { cookie: `${SESSION_COOKIE}=${cookie.value}` } });
    expect(current.status).toBe(200);
    expect(await current.json()).toEqual(session);
    // Only the hash of the cookie's value is stored.
    const { rows } = await shop.orders.query(`SELECT encode(token_hash, 'hex') AS hash FROM shopper_sessions WHERE email = $1`, [email]);
    expect(rows).toHaveLength(1);
    expect(rows[0].hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].hash).not.toContain(Buffer.from(cookie.value, 'base64url').toString('hex'));
  });

  it('the cookie is Secure when a trusted proxy says X-Forwarded-Proto: https, and not when an untrusted address says so; SESSION_COOKIE_SECURE=always makes it Secure over http', async () => {
    const trusting = await startOrderService({ HTTP_TRUSTED_PROXIES: 'loopback' });
    const distrusting = await startOrderService({ HTTP_TRUSTED_PROXIES: 'none' });
    const always = await startOrderService({ SESSION_COOKIE_SECURE: 'always' });
    const https = { 'x-forwarded-proto': 'https' };

    const behindTls = await signIn((await aLink()).token, newClient(), trusting, https);
    expect(behindTls.status).toBe(201);
    expect(sessionCookie(behindTls).attributes).toContain('secure');

    const spoofed = await signIn((await aLink()).token, newClient(), distrusting, https);
    expect(spoofed.status).toBe(201);
    expect(sessionCookie(spoofed).attributes).not.toContain('secure');

    const plainHttp = await signIn((await aLink()).token, newClient(), always);
    expect(plainHttp.status).toBe(201);
    expect(sessionCookie(plainHttp).attributes).toContain('secure');
  });

  it('a reused link is refused with 401 and opens no second session', async () => {
    const { token } = await aLink();
    expect((await signIn(token)).status).toBe(201);
    const sessions = await sessionCount();

    const again = await signIn(token);
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'this sign-in link was already used or has expired; ask for a new one',
    });
    expect(again.headers.getSetCookie()).toEqual([]);
    expect(await sessionCount()).toBe(sessions);
  });

  it('of two sign-ins racing with one link, one opens a session', async () => {
    const { token } = await aLink();
    const statuses = (await Promise.all([signIn(token), signIn(token), signIn(token)])).map((response) => response.status).sort();
    expect(statuses).toEqual([201, 401, 401]);
  });

  it('an expired link is refused with 401: past the expiry in its token, and when its row has expired though the token has not', async () => {
    const shortLived = await startOrderService({ SIGN_IN_LINK_TTL_S: '1' });
    const link = await aLink(newEmail(), shortLived);
    // The outcome waited for is the clock passing the link's expiry (whole seconds).
    await waitFor(() => Date.now() >= Date.parse(link.expiresAt), { what: 'the link to expire', timeoutMs: 5_000 });
    const expired = await signIn(link.token, newClient(), shortLived);
    expect(expired.status).toBe(401);
    expect(expired.headers.getSetCookie()).toEqual([]);

    // The database has the last word: a link whose row expired is spent by no token.
    const rowExpired = await aLink();
    await shop.orders.query(`UPDATE sign_in_links SET expires_at = now() - interval '1 second' WHERE id = $1`, [rowExpired.linkId]);
    expect((await signIn(rowExpired.token)).status).toBe(401);
    const { rows } = await shop.orders.query(`SELECT used_at FROM sign_in_links WHERE id = ANY($1::uuid[])`, [[link.linkId, rowExpired.linkId]]);
    expect(rows).toEqual([{ used_at: null }, { used_at: null }]);
  });

  it('a tampered link is refused with 401 (signature, link id, expiry changed) and the real link still works after', async () => {
    const email = newEmail();
    const { token } = await aLink(email);
    const other = await aLink();
    const [version, id, expiry, mac] = token.split('.');
    const flip = (text: string) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
    const sessions = await sessionCount();
    for (const tampered of [
      [version, id, expiry, flip(mac)],
      [version, other.token.split('.')[1], expiry, mac],
      [version, id, String(Number(expiry) + 3600), mac],
      [version, id, expiry],
    ]) {
      const response = await signIn(tampered.join('.'));
      expect(response.status).toBe(401);
      expect(((await response.json()) as { message: string }).message).toBe('this sign-in link was already used or has expired; ask for a new one');
    }
    expect(await sessionCount()).toBe(sessions);

    const real = await signIn(token);
    expect(real.status).toBe(201);
    expect(((await real.json()) as { email: string }).email).toBe(email);
  });

  it("one session cannot read another email's orders", async () => {
    const ada = newEmail('ada');
    const bea = newEmail('bea');
    const adas = [];
    for (const sku of ['MUG-001', 'NBK-005']) adas.push((await shop.placeOrder(anOrder([{ sku, quantity: 1 }], ada))).body.id);
    const beas = (await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 2 }], bea))).body.id;

    const adaCookie = await sessionFor(ada);
    const list = await listOrders(adaCookie);
    expect(list.status).toBe(200);
    expect(list.headers.get('cache-control')).toBe('no-store');
    const orders = (await list.json()) as { id: string; customer: { email: string } }[];
    // Newest first.
    expect(orders.map((order) => order.id)).toEqual([...adas].reverse());
    expect(orders.every((order) => order.customer.email === ada)).toBe(true);
    expect(orders.map((order) => order.id)).not.toContain(beas);

    const asked = await listOrders(adaCookie, `?email=${encodeURIComponent(bea)}`);
    expect(asked.status).toBe(400);
    expect(((await asked.json()) as { issues: unknown }).issues).toEqual([{ field: 'email', message: expect.any(String) }]);
  });

  it('GET /api/orders without a session, with an unknown cookie or an expired one answers 401', async () => {
    const email = newEmail();
    await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }], email));
    const cookie = await sessionFor(email);
    expect((await listOrders(cookie)).status).toBe(200);

    const unknownCookie = `${SESSION_COOKIE}=${Buffer.alloc(32, 7).toString('base64url')}`;
    for (const refused of [undefined, unknownCookie, `${SESSION_COOKIE}=not-a-session`]) {
      const response = await listOrders(refused);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { message: string }).message).toMatch(/sign in first/);
    }
    expect((await fetch(`${shop.orderUrl}/api/sessions/current`, { headers: { cookie: unknownCookie } })).status).toBe(401);

    await shop.orders.query(`UPDATE shopper_sessions SET expires_at = now() - interval '1 second' WHERE email = $1`, [email]);
    expect((await listOrders(cookie)).status).toBe(401);
    expect((await fetch(`${shop.orderUrl}/api/sessions/current`, { headers: { cookie } })).status).toBe(401);
  });

  it('a new session deletes the sessions that expired more than a day ago, and keeps the rest', async () => {
    const stale = newEmail('stale');
    const recent = newEmail('recent');
    await sessionFor(stale);
    await sessionFor(recent);
    await shop.orders.query(`UPDATE shopper_sessions SET expires_at = now() - interval '2 days' WHERE email = $1`, [stale]);
    await shop.orders.query(`UPDATE shopper_sessions SET expires_at = now() - interval '1 hour' WHERE email = $1`, [recent]);

    await sessionFor(newEmail());
    const left = await shop.orders.query<{ email: string }>(`SELECT email FROM shopper_sessions WHERE email = ANY($1)`, [[stale, recent]]);
    expect(left.rows.map((row) => row.email)).toEqual([recent]);
  });

  it('signing out deletes the session and clears the cookie: the old cookie then answers 401', async () => {
    const email = newEmail();
    const cookie = await sessionFor(email);
    expect((await listOrders(cookie)).status).toBe(200);

    const signOut = await fetch(`${shop.orderUrl}/api/sessions/current`, { method: 'DELETE', headers: { cookie } });
    expect(signOut.status).toBe(204);
    const cleared = sessionCookie(signOut);
    expect(cleared.value).toBe('');
    expect(cleared.attributes).toEqual(expect.arrayContaining(['path=/api', 'httponly']));
    expect((await shop.orders.query(`SELECT 1 FROM shopper_sessions WHERE email = $1`, [email])).rowCount).toBe(0);

    expect((await listOrders(cookie)).status).toBe(401);
    expect((await fetch(`${shop.orderUrl}/api/sessions/current`, { headers: { cookie } })).status).toBe(401);
  });

  it('past SIGN_IN_LINKS_PER_CLIENT requests the client gets 429 with Retry-After; another client is not limited', async () => {
    const client = newClient();
    for (let i = 0; i < Number(LIMITS.SIGN_IN_LINKS_PER_CLIENT); i++) expect((await requestLink(newEmail(), client)).status).toBe(202);
    const email = newEmail();
    const refused = await requestLink(email, client);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(/^at most 2 sign-in links per 15 minutes from one client \(SIGN_IN_LINKS_PER_CLIENT\); retry in /),
    });
    expect(await linksFor(email)).toEqual([]);

    expect((await requestLink(email, newClient())).status).toBe(202);
  });

  it('an IPv6 client is counted by its /64: another address of the same /64 is the same client, another /64 is not', async () => {
    for (let i = 0; i < Number(LIMITS.SIGN_IN_LINKS_PER_CLIENT); i++) expect((await requestLink(newEmail(), `2001:db8:0:7::${i + 1}`)).status).toBe(202);
    expect((await requestLink(newEmail(), '2001:db8:0:7:ffff::9')).status).toBe(429);
    expect((await requestLink(newEmail(), '2001:db8:0:8::1')).status).toBe(202);
  });

  it('past SIGN_IN_LINKS_PER_EMAIL requests for one email answer 429 from any client, the same body for an email with or without orders', async () => {
    const known = newEmail('known');
    const unknown = newEmail('unknown');
    await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }], known));
    const refusals = [];
    for (const email of [known, unknown]) {
      for (let i = 0; i < Number(LIMITS.SIGN_IN_LINKS_PER_EMAIL); i++) expect((await requestLink(email)).status).toBe(202);
      // The same address in other letter case is the same address.
      const refused = await requestLink(email.toUpperCase());
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      refusals.push(await refused.json());
      expect(await linksFor(email)).toHaveLength(Number(LIMITS.SIGN_IN_LINKS_PER_EMAIL));
    }
    expect(refusals[0]).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(/^at most 3 sign-in links per 15 minutes for one email address \(SIGN_IN_LINKS_PER_EMAIL\); retry in \d+ seconds$/),
    });
    // Retry-After counts down in seconds; the words around it are the same.
    const words = (body: unknown) => (body as { message: string }).message.replace(/\d+ seconds$/, '');
    expect(words(refusals[1])).toBe(words(refusals[0]));
  });

  it('past SIGN_INS_PER_CLIENT attempts the client gets 429 before its token is even read', async () => {
    const client = newClient();
    for (let i = 0; i < Number(LIMITS.SIGN_INS_PER_CLIENT); i++) expect((await signIn('v1.nope', client)).status).toBe(401);
    const { token } = await aLink();
    const refused = await signIn(token, client);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect(((await refused.json()) as { message: string }).message).toMatch(/\(SIGN_INS_PER_CLIENT\)/);
    expect((await signIn(token)).status).toBe(201);
  });
});
