/**
 * README's demo as a shopper sees it, on the whole compose project that `docker compose up --build`
 * starts (storefront included), through nginx's published port only: the shop loads in Chromium
 * under its security headers; with inventory-service killed an order is accepted through /api,
 * stays PENDING and the shopper is told confirmations run late; inventory started again, the open
 * stream turns CONFIRMED and the confirmation email is in MailDev. Compose only: the process driver
 * runs no nginx.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { DEMO_CATALOG, SHOP_NAME, type OrderView } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ComposeDriver } from '../src/compose-driver';
import { followStatus } from '../src/follow-status';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
/** Building every image on a cold machine takes minutes. */
const START_TIMEOUT_MS = 20 * 60_000;
/** Inventory's container starting again, then the order's round trip through the queues. */
const CONFIRMATION_TIMEOUT_MS = 120_000;
/** The headers nginx adds to the storefront's own responses, as the package declares them. */
const SECURITY_HEADERS = [
  ...readFileSync(resolve(__dirname, '../../apps/storefront/security-headers.conf'), 'utf8').matchAll(/^add_header ([A-Za-z-]+) "([^"$]*)" always;$/gm),
].map(([, name, value]) => [name, value] as const);

/** Jaeger's query API (`GET /api/traces/<trace id>`), as much of it as this test reads. */
interface JaegerTrace {
  spans: {
    spanID: string;
    operationName: string;
    references: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; spanID: string }[];
    processID: string;
    tags: { key: string; value: unknown }[];
  }[];
  processes: Record<string, { serviceName: string }>;
}
const SHOP_SERVICES = ['order-service', 'inventory-service', 'notification-service', 'payment-service'];

interface MailDevEmail {
  subject: string;
  from: { address: string; name: string }[];
  to: { address: string }[];
  headers: Record<string, string>;
}

describe("README's demo, through the storefront of `docker compose up --build`", () => {
  const system = new ComposeDriver();
  let browser: Browser;
  let page: Page;
  let shopUrl: string;
  let mailUrl: string;
  const pageErrors: string[] = [];
  let order: OrderView;
  let stream: ReturnType<typeof followStatus>;

  beforeAll(async () => {
    await system.start();
    shopUrl = await system.shopUrl();
    mailUrl = await system.mailUrl();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ baseURL: shopUrl });
    // A CSP violation or a script that fails shows here (Chromium logs refused resources as errors).
    page.on('console', (message) => message.type() === 'error' && pageErrors.push(message.text()));
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    stream?.close();
    await browser?.close();
    await system.stop();
  });

  it('serves the shop: the page and its script load, under the security headers the storefront package declares', async () => {
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(SECURITY_HEADERS.length).toBeGreaterThanOrEqual(5);
    for (const [name, value] of SECURITY_HEADERS) expect([name, headers[name.toLowerCase()]]).toEqual([name, value]);
    // Rendered by the bundle, from the catalog order-service serves through nginx.
    await page.getByRole('heading', { name: DEMO_CATALOG[0].name }).first().waitFor({ timeout: 30_000 });
    expect(await page.title()).toContain(SHOP_NAME);
    expect(pageErrors).toEqual([]);
  });

  it('accepts an order through /api while inventory is killed; it stays PENDING and the shopper is told confirmations run late', async () => {
    await system.kill('inventory-service');
    const placed = await fetch(`${shopUrl}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `demo-${randomUUID()}` },
      body: JSON.stringify({
        customer: { name: 'Ada', email: 'ada@example.com' },
        lines: [{ sku: DEMO_CATALOG[0].sku, quantity: 1 }],
        payment: { token: 'tok_success' },
      }),
    });
    expect(placed.status).toBe(201);
    order = (await placed.json()) as OrderView;
    expect(order.status).toBe('PENDING');

    stream = followStatus(`${shopUrl}/api/orders/${order.id}/events`);
    await waitFor(() => stream.events.length > 0, { timeoutMs: 15_000, what: 'the first status event through nginx' });
    expect(stream.events[0]).toMatchObject({ orderId: order.id, status: 'PENDING' });

    await page.goto(`/orders/${order.id}`);
    await page.getByText('Waiting for confirmation').first().waitFor({ timeout: 15_000 });
    // The status strip asks GET /api/system/status every 5 s; inventory's consumer is gone from its queue.
    await page.getByText('Order confirmations are running late right now', { exact: false }).first().waitFor({ timeout: 60_000 });
    expect(((await (await fetch(`${shopUrl}/api/orders/${order.id}`)).json()) as OrderView).status).toBe('PENDING');
  });

  it('turns CONFIRMED on the open stream once inventory starts again, and the confirmation email is in MailDev', async () => {
    await system.startService('inventory-service');
    await waitFor(() => stream.events.some((event) => event.status === 'CONFIRMED'), { timeoutMs: CONFIRMATION_TIMEOUT_MS, what: 'CONFIRMED on the stream' });
    await stream.done; // the stream closes once the order is confirmed and its payment captured
    // Stock reserved, then the card authorized, then captured: each step is an event on the stream (the capture keeps CONFIRMED).
    const statuses = stream.events.map((event) => event.status).filter((status, index, all) => index === 0 || all[index - 1] !== status);
    expect(statuses).toEqual(['PENDING', 'RESERVED', 'CONFIRMED']);
    expect(stream.events.at(-1)).toMatchObject({ status: 'CONFIRMED', payment: { status: 'captured' } });
    await page.getByText('Your order is confirmed.').waitFor({ timeout: 30_000 });

    const confirmation = await waitFor(
      async () => {
        const emails = (await (await fetch(`${mailUrl}/email`)).json()) as MailDevEmail[];
        return emails.find((email) => email.headers['x-shop-order-id'] === order.id && email.headers['x-shop-event'] === 'order.confirmed');
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: 'the confirmation email in MailDev' },
    );
    expect(confirmation.subject).toBe('Your order is confirmed');
    expect(confirmation.to.map((to) => to.address)).toEqual(['ada@example.com']);
    expect(confirmation.from).toEqual([{ address: 'orders@shop.example', name: SHOP_NAME }]);
    expect(pageErrors).toEqual([]);
  });
  it("is one trace in Jaeger (the observability profile, every service exporting to it): the POST, each service's work, the emails", async () => {
    // The order's trace id is its order.placed outbox row's traceparent (what the operators' console links to).
    const { rows } = await system
      .sql('orders')
      .query<{ traceparent: string }>(
        `SELECT headers->>'traceparent' AS traceparent FROM outbox WHERE routing_key = 'order.placed' AND payload->>'orderId' = $1`,
        [order.id],
      );
    const traceId = rows[0].traceparent.split('-')[1];
    const jaeger = await system.jaegerUrl();
    // Spans leave each service in batches, on each service's own timer (every 5 s by default): the
    // confirmation email's may reach Jaeger before the payment's or a just-restarted inventory's, so
    // the trace is read once both emails' spans and a span of every service are in (or never: the wait fails).
    const servicesIn = (found: JaegerTrace) => [...new Set(found.spans.map((span) => found.processes[span.processID].serviceName))].sort();
    const trace = await waitFor(
      async () => {
        const response = await fetch(`${jaeger}/api/traces/${traceId}`);
        if (response.status !== 200) return false;
        const [found] = ((await response.json()) as { data: JaegerTrace[] }).data;
        const emails = found.spans.filter((span) => span.operationName === 'smtp send').length;
        return emails >= 2 && servicesIn(found).length === SHOP_SERVICES.length && found;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: `trace ${traceId} in Jaeger with both emails' spans and a span of each of ${SHOP_SERVICES.join(', ')}` },
    );
    const serviceOf = (span: JaegerTrace['spans'][number]) => trace.processes[span.processID].serviceName;
    expect([...new Set(trace.spans.map(serviceOf))].sort()).toEqual([...SHOP_SERVICES].sort());
    const ids = new Set(trace.spans.map((span) => span.spanID));
    const roots = trace.spans.filter((span) => !span.references.some((reference) => reference.refType === 'CHILD_OF' && ids.has(reference.spanID)));
    expect(roots.map((span) => [serviceOf(span), span.operationName])).toEqual([['order-service', 'POST /api/orders']]);
    const processed = trace.spans.filter((span) => span.operationName.startsWith('process ')).map((span) => span.operationName);
    for (const queue of ['inventory.order-placed', 'orders.stock-results', 'payments.order-payments', 'orders.payment-results', 'notifications.order-events'])
      expect(processed).toContain(`process ${queue}`);
  });
});
