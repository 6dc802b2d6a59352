/**
 * The shop in Chromium against the real services: a shopper orders and pays by card, and watches the
 * order confirm, even while inventory is down, and gets the confirmation email (caught by MailDev); a
 * declined card gives the stock back; a cancelled order is refunded; an operator
 * repairs an order whose message died in inventory, from the console. Screenshots land in .runs/screenshots/ (ignored); `pnpm results:publish`
 * copies them to docs/screenshots/ for the README.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEMO_CATALOG, OPERATED_SERVICES, SIGN_IN_LINK_SENT_MESSAGE, type OrderView } from '@shop/contracts';
import { sqlPool, waitFor } from '@shop/testing';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatPrice } from '../src/format';
import { NEEDS_A_PERSON } from '../src/orders/status-timeline';
import { CONFIRMATIONS_LATE } from '../src/system/describe-system-status';
import { expectNoSeriousViolations, expectVisibleFocus, recordCspViolations, tabTo, type CspViolation } from './accessibility';
import { BROWSER_ADMIN_TOKEN, BROWSER_STUCK_AFTER_SECONDS, startShopStack, type CaughtEmail, type ShopStack } from './harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SCREENSHOTS = fileURLToPath(new URL('../../../.runs/screenshots/', import.meta.url));
/** Long enough for a message to travel outbox → broker → inventory → broker → order-service on a busy machine. */
const CONFIRMATION_TIMEOUT_MS = 45_000;
/** The status strip polls every 5 s. */
const STATUS_STRIP_TIMEOUT_MS = 20_000;
/** From the confirmation: the order.confirmed event through notification-service's queue to SMTP. */
const EMAIL_TIMEOUT_MS = 30_000;
/** The order page asks for the email again 1, 3, 7, 15 and 30 s after the confirmation. */
const EMAIL_NOTE_TIMEOUT_MS = 35_000;
/** Three attempts 200 and 500 ms apart (the harness's RETRY_DELAYS_MS), then inventory takes the dead letter into its table. */
const DEAD_LETTER_TIMEOUT_MS = 20_000;
/** Pending past the threshold, then seen at the next poll: the console's (10 s) and the order page's status (5 s). */
const STUCK_TIMEOUT_MS = BROWSER_STUCK_AFTER_SECONDS * 1000 + 20_000;

let stack: ShopStack;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  stack = await startShopStack();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** The browsers of the running scenario, each with the CSP violations its pages reported. */
let shoppers: { context: BrowserContext; violations: CspViolation[] }[] = [];

/** A fresh shopper: its own cookies and localStorage, so no cart carries over between scenarios. */
async function newShopper(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ baseURL: stack.shopUrl, viewport });
  shoppers.push({ context, violations: await recordCspViolations(context) });
  return context.newPage();
}

// The shop runs under nginx's CSP (vite preview sends it): no page of the scenario may have broken it.
afterEach(async () => {
  const violations = shoppers
    .flatMap((shopper) => shopper.violations)
    .filter((violation) => violation.page.startsWith(`${stack.shopUrl}/`))
    .map(
      (violation) =>
        `${violation.directive} refused ${violation.blocked || 'inline code'} on ${violation.page}${violation.sample ? ` (${violation.sample})` : ''}`,
    );
  await Promise.all(shoppers.map((shopper) => shopper.context.close()));
  shoppers = [];
  expect(violations, 'Content-Security-Policy violations').toEqual([]);
});

const uniqueEmail = (who: string) => `${who}.${Date.now().toString(36)}@example.com`;

async function addToCart(page: Page, productName: string) {
  await page.getByRole('button', { name: `Add to cart: ${productName}` }).click();
  await page
    .getByRole('article', { name: productName })
    .getByText(/in your cart/)
    .waitFor();
}

/** The provider's documented test cards (TEST_CARDS), as a shopper types them. */
const SUCCEEDING_CARD = '4242 4242 4242 4242';
const INSUFFICIENT_FUNDS_CARD = '4000 0000 0000 9995';

/** Any future expiry and any CVC go with a test card. */
async function fillCard(page: Page, number = SUCCEEDING_CARD) {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry date').fill('12/34');
  await page.getByLabel('Security code (CVC)').fill('123');
}

async function checkOut(page: Page, name: string, email: string, card = SUCCEEDING_CARD) {
  await page.goto('/checkout');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await fillCard(page, card);
  await page.getByRole('button', { name: /Place order/ }).click();
}

/** The session cookie of each shopper whose orders a test read, by email: one sign-in link each. */
const sessionCookies = new Map<string, string>();

/**
 * The orders of `email`, newest first. Nothing lists orders by an address given in a request, so
 * this signs in as that shopper the way the shop does: a link is emailed (MailDev catches it), and
 * its token is exchanged for the session cookie.
 */
async function ordersOf(email: string): Promise<OrderView[]> {
  let cookie = sessionCookies.get(email);
  if (!cookie) {
    const json = { 'content-type': 'application/json' };
    const asked = await fetch(`${stack.orderServiceUrl}/api/sessions/link`, { method: 'POST', headers: json, body: JSON.stringify({ email }) });
    expect(asked.status).toBe(202);
    const link = await caughtEmail((caught) => caught.headers['x-shop-event'] === 'signin.requested' && caught.to.some((to) => to.address === email));
    const token = /#token=([^\s"'<>]+)/.exec(link.text)?.[1];
    if (!token) throw new Error(`no sign-in link in the email to ${email}:\n${link.text}`);
    const signedIn = await fetch(`${stack.orderServiceUrl}/api/sessions`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ token: decodeURIComponent(token) }),
    });
    expect(signedIn.status).toBe(201);
    cookie = signedIn.headers.getSetCookie()[0].split(';')[0];
    sessionCookies.set(email, cookie);
  }
  const response = await fetch(`${stack.orderServiceUrl}/api/orders`, { headers: { cookie } });
  expect(response.status).toBe(200);
  return (await response.json()) as OrderView[];
}

/**
 * How many orders order-service's database holds for a customer name: counts what no session can
 * list (an order for an address no link can reach, such as an invalid one).
 */
async function ordersInDatabaseNamed(customerName: string): Promise<number> {
  const [{ count }] = await rowsOf<{ count: string }>(stack.ordersDatabaseUrl, 'SELECT count(*) FROM orders WHERE customer_name = $1', [customerName]);
  return Number(count);
}

/** The rows of one statement on one of the stack's databases. */
async function rowsOf<T extends Record<string, unknown>>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const pool = sqlPool(databaseUrl);
  try {
    return (await pool.query<T>(sql, params)).rows;
  } finally {
    await pool.end();
  }
}

/** The first email MailDev caught that `matches`, polled until it comes. */
async function caughtEmail(matches: (email: CaughtEmail) => boolean): Promise<CaughtEmail> {
  const deadline = Date.now() + EMAIL_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const email = (await stack.caughtEmails()).find(matches);
    if (email) return email;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no matching email in MailDev after ${EMAIL_TIMEOUT_MS} ms:\n${stack.mailLogs()}`);
}

const shortId = (orderId: string) => orderId.slice(0, 8).toUpperCase();

/** A fresh order of one product, placed through the shop; its id from the order page's address. */
async function placeOrder(page: Page, productName: string, name: string, email: string): Promise<string> {
  await page.goto('/');
  await addToCart(page, productName);
  await checkOut(page, name, email);
  const orderId = await orderIdFromUrl(page);
  await page.getByText('Your order is accepted and waiting for confirmation.').or(page.getByText('Your order is confirmed.')).waitFor();
  return orderId;
}

/** The newest sign-in email MailDev caught for `address`. */
async function signInEmailFor(address: string): Promise<CaughtEmail> {
  return caughtEmail((caught) => caught.headers['x-shop-event'] === 'signin.requested' && caught.to.some((recipient) => recipient.address === address));
}

/** The link in the sign-in email for `address`: the storefront's sign-in page, the token in the fragment. */
async function signInLinkFor(address: string): Promise<string> {
  const email = await signInEmailFor(address);
  const link = new RegExp(`${stack.shopUrl.replace(/[.]/g, '\\.')}/orders/sign-in#token=[A-Za-z0-9%._~-]+`).exec(email.text)?.[0];
  if (!link) throw new Error(`no sign-in link in the email to ${address}:\n${email.text}`);
  return link;
}

/** Opens an email in MailDev's web UI, as the shopper would in a mail client, for the README. */
async function screenshotInMailDev(address: string, subject: string, bodyText: string, file: string): Promise<void> {
  const inbox = await newShopper();
  await inbox.goto(`${stack.mailCatcherUrl}/`);
  // Other scenarios' emails are in the inbox too: MailDev's search keeps this shopper's.
  await inbox.getByPlaceholder('Search emails').fill(address);
  await inbox.getByText(subject).first().click();
  await inbox.frameLocator('iframe').first().getByText(bodyText).first().waitFor();
  await inbox.screenshot({ path: `${SCREENSHOTS}${file}` });
}

/** One part of a long page for the README: from the top of `first` to the bottom of `last`, with a margin. */
async function screenshotSpan(page: Page, first: Locator, last: Locator, file: string): Promise<void> {
  const margin = 10;
  await first.scrollIntoViewIfNeeded();
  const [top, bottom] = [await first.boundingBox(), await last.boundingBox()];
  if (!top || !bottom) throw new Error(`${file}: ${String(first)} or ${String(last)} is not shown`);
  // Bounding boxes are in the viewport; a full-page clip is in the document.
  const scrollY = await page.evaluate(() => window.scrollY);
  const left = Math.min(top.x, bottom.x) - margin;
  const right = Math.max(top.x + top.width, bottom.x + bottom.width) + margin;
  const clip = { x: left, y: top.y + scrollY - margin, width: right - left, height: bottom.y + bottom.height - top.y + 2 * margin };
  await page.screenshot({ path: `${SCREENSHOTS}${file}`, fullPage: true, clip });
}

const priceOf = (sku: string) => DEMO_CATALOG.find((product) => product.sku === sku)!.priceCents;

async function orderIdFromUrl(page: Page): Promise<string> {
  await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
  return new URL(page.url()).pathname.split('/').pop()!;
}

describe('shop in a browser', () => {
  it('happy path: browse, add two products, check out, see the order confirmed', async () => {
    const page = await newShopper();
    const email = uniqueEmail('happy');
    const documentResponse = await page.goto('/');
    // The page arrives with nginx's policy (security-headers.conf, which vite preview sends too).
    expect(documentResponse?.headers()).toMatchObject({
      'content-security-policy': expect.stringContaining("script-src 'self'"),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    });
    await page.getByRole('article', { name: 'Wool Blanket' }).getByText('Only 15 left').waitFor();
    // Confirmations run as usual: the strip says nothing.
    await expect.poll(() => page.getByRole('status', { name: 'Shop status' }).textContent(), { timeout: STATUS_STRIP_TIMEOUT_MS }).toBe('');
    await page.screenshot({ path: `${SCREENSHOTS}catalog.png` });
    await expectNoSeriousViolations(page, 'the catalog');

    await addToCart(page, 'Stoneware Mug');
    await addToCart(page, 'Dot-Grid Notebook');
    await page.getByRole('link', { name: 'Cart, 2 items' }).click();
    await page.getByRole('heading', { name: 'Stoneware Mug' }).waitFor();
    await expectNoSeriousViolations(page, 'the cart');
    await page.getByRole('link', { name: 'Go to checkout' }).click();
    await page.getByLabel('Name').fill('Grace Hopper');
    await page.getByLabel('Email').fill(email);
    await fillCard(page);
    await expectNoSeriousViolations(page, 'checkout');
    // A double click must not make two orders: the button disables and the key is reused.
    await page.getByRole('button', { name: /Place order/ }).dblclick();

    const orderId = await orderIdFromUrl(page);
    await page.getByRole('heading', { name: /Thank you for your order/ }).waitFor();
    await page.getByText('Your order is confirmed.').waitFor({ timeout: CONFIRMATION_TIMEOUT_MS });
    await page.screenshot({ path: `${SCREENSHOTS}confirmed.png`, fullPage: true });
    await expectNoSeriousViolations(page, 'the order page, confirmed');

    const orders = await ordersOf(email);
    expect(orders.map((order) => [order.id, order.status])).toEqual([[orderId, 'CONFIRMED']]);
    expect(orders[0].lines.map((line) => [line.sku, line.quantity])).toEqual([
      ['MUG-001', 1],
      ['NBK-005', 1],
    ]);
    // The count the bad-input scenario relies on sees the orders that are made.
    expect(await ordersInDatabaseNamed('Grace Hopper')).toBe(1);
    expect(await page.getByRole('link', { name: 'Cart, 0 items' }).count()).toBe(1);

    // This browser placed it, so My orders lists it without asking for an email.
    await page.getByRole('link', { name: 'My orders' }).first().click();
    await page
      .getByRole('list', { name: 'Orders placed from this browser' })
      .getByRole('listitem')
      .filter({ hasText: `Order ${shortId(orderId)}` })
      .getByText('Confirmed')
      .waitFor();
  });

  it('keyboard only: skip link, search "mug", open the product, add 2, go to the cart, check out, follow the order', async () => {
    const page = await newShopper();
    const email = uniqueEmail('keys');
    await page.goto('/');
    await page.getByRole('list', { name: 'Products' }).waitFor();

    // The first Tab reaches the skip link, which shows itself; Enter skips the header.
    await page.keyboard.press('Tab');
    const skipLink = page.getByRole('link', { name: 'Skip to content' });
    await expectVisibleFocus(skipLink);
    await page.keyboard.press('Enter');
    const search = page.getByRole('searchbox', { name: 'Search products' });
    await tabTo(page, search);
    await expectVisibleFocus(search);
    await page.keyboard.type('mug');
    await page.keyboard.press('Enter');
    await page.getByText('1 product matches “mug”').waitFor();
    expect(new URL(page.url()).searchParams.get('q')).toBe('mug');
    await page.screenshot({ path: `${SCREENSHOTS}search.png` });
    await expectNoSeriousViolations(page, 'the catalog, searched');

    const productLink = page.getByRole('list', { name: 'Products' }).getByRole('link', { name: 'Stoneware Mug' });
    await tabTo(page, productLink);
    await expectVisibleFocus(productLink);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Stoneware Mug' }).waitFor();
    const quantity = page.getByRole('spinbutton', { name: 'Quantity of Stoneware Mug' });
    await tabTo(page, quantity);
    await expectVisibleFocus(quantity);
    await page.keyboard.press('ArrowUp');
    expect(await quantity.inputValue()).toBe('2');
    const add = page.getByRole('button', { name: 'Add to cart' });
    await tabTo(page, add);
    await expectVisibleFocus(add);
    await page.keyboard.press('Enter');
    await page.getByText('2 in your cart').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}product.png` });
    await expectNoSeriousViolations(page, 'the product page');

    const toCart = page.getByRole('link', { name: 'Go to your cart' });
    await tabTo(page, toCart);
    await page.keyboard.press('Enter');
    await page.getByRole('spinbutton', { name: 'Quantity of Stoneware Mug' }).waitFor();
    const toCheckout = page.getByRole('link', { name: 'Go to checkout' });
    await tabTo(page, toCheckout);
    await expectVisibleFocus(toCheckout);
    await page.keyboard.press('Enter');
    const name = page.getByLabel('Name');
    await tabTo(page, name);
    await expectVisibleFocus(name);
    await page.keyboard.type('Margaret Hamilton');
    await tabTo(page, page.getByLabel('Email'));
    await page.keyboard.type(email);
    // Past the test cards' buttons, by Tab like the rest.
    for (const [label, value] of [
      ['Card number', SUCCEEDING_CARD],
      ['Expiry date', '12/34'],
      ['Security code (CVC)', '123'],
    ]) {
      await tabTo(page, page.getByLabel(label));
      await page.keyboard.type(value);
    }
    const placeButton = page.getByRole('button', { name: /Place order/ });
    await tabTo(page, placeButton);
    await expectVisibleFocus(placeButton);
    await page.keyboard.press('Enter');

    // The order page follows the order by itself, and focus starts on its heading.
    const orderId = await orderIdFromUrl(page);
    await page.getByRole('heading', { name: /Thank you for your order/ }).waitFor();
    await page.getByText('Your order is confirmed.').waitFor({ timeout: CONFIRMATION_TIMEOUT_MS });
    const order = (await (await page.request.get(`/api/orders/${orderId}`)).json()) as OrderView;
    expect(order.lines.map((line) => [line.sku, line.quantity])).toEqual([['MUG-001', 2]]);
  });

  it('inventory down: the order is accepted as pending, then confirms live when inventory is back', async () => {
    await stack.stopInventory();
    const page = await newShopper();
    const email = uniqueEmail('offline');
    await page.goto('/');
    await page.getByRole('article', { name: 'Canvas Cap' }).getByText('Stock confirmed after you order').waitFor();
    await page.getByText('Order confirmations are running late right now.', { exact: false }).first().waitFor({ timeout: STATUS_STRIP_TIMEOUT_MS });
    // Words for shoppers: one sentence, no figures (those are on the operators' page).
    const strip = page.getByRole('status', { name: 'Shop status' });
    expect(await strip.textContent()).toBe(CONFIRMATIONS_LATE);

    // The product page and the search come from order-service's catalog: they work while inventory is stopped.
    const mug = DEMO_CATALOG.find((product) => product.sku === 'MUG-001')!;
    await page.goto('/products/MUG-001');
    await page.getByRole('heading', { level: 1, name: mug.name }).waitFor();
    await page.getByText(mug.description).waitFor();
    await page.getByText(formatPrice(mug.priceCents), { exact: true }).waitFor();
    await page.getByText('Stock is checked when you order').waitFor();
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByText('1 in your cart').waitFor();
    // The URL is the search: opened as a link, it shows the same results in the same order.
    await page.goto('/?q=canvas&sort=price-desc');
    await page.getByText('2 products match “canvas”').waitFor();
    expect(await page.getByRole('searchbox', { name: 'Search products' }).inputValue()).toBe('canvas');
    expect(await page.getByRole('combobox', { name: 'Sort by' }).inputValue()).toBe('price-desc');
    expect(await page.getByRole('list', { name: 'Products' }).getByRole('heading').allTextContents()).toEqual(['Market Tote', 'Canvas Cap']);
    await expectNoSeriousViolations(page, 'the catalog, searched from the URL');

    await addToCart(page, 'Canvas Cap');
    await checkOut(page, 'Katherine Johnson', email);
    const orderId = await orderIdFromUrl(page);
    await page.getByText('Your order is accepted and waiting for confirmation.').waitFor();
    await page.getByText('Your order is safe and will be confirmed automatically', { exact: false }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}pending-inventory-offline.png`, fullPage: true });
    await expectNoSeriousViolations(page, 'the order page, pending');
    expect((await ordersOf(email)).map((order) => order.status)).toEqual(['PENDING']);

    // The operators' page has the figures the shoppers are spared, behind the admin token.
    const operator = await newShopper();
    await operator.goto('/operations');
    const tokenField = operator.getByLabel('Admin token');
    expect(await tokenField.getAttribute('type')).toBe('password');
    await expectNoSeriousViolations(operator, "the operators' page, asking for the token");
    await tokenField.fill(BROWSER_ADMIN_TOKEN);
    await operator.getByRole('button', { name: 'Show the figures' }).click();
    const figure = (label: string) => operator.locator('dt', { hasText: label }).locator('xpath=following-sibling::dd');
    await figure('Inventory').first().waitFor();
    expect(await figure('Inventory consumers').textContent()).toBe('0');
    // The pending order waits in inventory's queue once the relay has published it; the page asks every 5 s.
    await expect
      .poll(async () => Number(await figure("Orders waiting in inventory's queue").textContent()), { timeout: STATUS_STRIP_TIMEOUT_MS })
      .toBeGreaterThanOrEqual(1);
    expect(await figure('Outbox backlog').textContent()).toMatch(/^(0|\d+ events?, oldest \d+ s)$/);
    await expectNoSeriousViolations(operator, "the operators' page, the figures");

    // A marker on the window survives only if the page is never reloaded.
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
    await stack.startInventory();
    // Read together, in the page: when the headline says confirmed, the strip is already empty
    // (the order's own stream cleared it), not a status poll later.
    const whenConfirmed = await page.waitForFunction(
      () =>
        document.body.innerText.includes('Your order is confirmed.') && {
          strip: document.querySelector('[role="status"][aria-label="Shop status"]')?.textContent ?? null,
        },
      undefined,
      { timeout: CONFIRMATION_TIMEOUT_MS },
    );
    expect(await whenConfirmed.jsonValue()).toEqual({ strip: '' });
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await expectNoSeriousViolations(page, 'the order page, confirmed after the wait');
    expect((await ordersOf(email)).map((order) => [order.id, order.status])).toEqual([[orderId, 'CONFIRMED']]);
  });

  it('honest quantities, out of stock: 1000 is set to 100 with a note, 0 shows an error and no total; more than is available is warned of in the cart and at checkout, accepted, then rejected with the sku in the reason', async () => {
    const page = await newShopper();
    const email = uniqueEmail('toomany');
    await page.goto('/');
    await addToCart(page, 'Wool Blanket');
    await page.goto('/cart');
    const quantity = page.getByRole('spinbutton', { name: 'Quantity of Wool Blanket' });
    await quantity.fill('1000');
    await page.getByText('At most 100 per order: set to 100').waitFor();
    expect(await quantity.inputValue()).toBe('100');
    await quantity.fill('0');
    await page.getByText('Quantity must be at least 1; use Remove to take it out').waitFor();
    await quantity.blur();
    expect(await quantity.inputValue()).toBe('0');
    await page.getByText('Fix the quantity of Wool Blanket to see the total').waitFor();
    expect(await page.getByText('No total until the quantity is fixed').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Go to checkout' }).isDisabled()).toBe(true);
    await expectNoSeriousViolations(page, 'the cart, a quantity to fix');
    await quantity.fill('20');
    await page.getByText('Only 15 in stock right now').waitFor();

    await page.goto('/checkout');
    await page.getByText('1 item is more than we have in stock now: this order would be rejected unless more arrives.').waitFor();
    await checkOut(page, 'Alan Turing', email);
    await orderIdFromUrl(page);
    await page.getByText('Sorry, we could not confirm your order', { exact: false }).waitFor({ timeout: CONFIRMATION_TIMEOUT_MS });
    const reason = page.getByRole('list', { name: 'Order progress' }).locator('.timeline__step--failed .timeline__detail');
    expect(await reason.textContent()).toContain('BLK-012');

    const [order] = await ordersOf(email);
    expect(order.status).toBe('REJECTED');
    expect(order.statusReason).toContain('BLK-012');
  });

  it('bad input: an empty cart offers no order, an invalid email is refused with messages, and no order is made', async () => {
    const page = await newShopper();
    // An empty cart has nothing to place: no form, no button.
    await page.goto('/checkout');
    await page.getByText('Your cart is empty.').waitFor();
    expect(await page.getByRole('button', { name: /Place order/ }).count()).toBe(0);

    await page.goto('/');
    await addToCart(page, 'Brass Pen');
    await page.goto('/checkout');
    await page.getByLabel('Name').fill('Barbara Liskov');
    await page.getByLabel('Email').fill('barbara@');
    await page.getByLabel('Email').press('Enter');
    const emailError = page.locator('#customer-email-error');
    await emailError.waitFor();
    expect(await emailError.textContent()).toBe('Error: Email must be a valid email address');
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.classList.contains('error-summary'))).toBe(true);
    await expectNoSeriousViolations(page, 'checkout with the error summary');

    // The server refuses the same input with the same words.
    const response = await fetch(`${stack.orderServiceUrl}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({ customer: { name: 'Barbara Liskov', email: 'barbara@' }, lines: [{ sku: 'PEN-006', quantity: 1 }] }),
    });
    expect(response.status).toBe(400);
    expect((await response.json()).issues).toContainEqual({ field: 'customer.email', message: 'must be a valid email address' });
    // Neither attempt made an order. No session can list one for "barbara@" (no link reaches it), so the database is asked.
    expect(page.url()).toBe(`${stack.shopUrl}/checkout`);
    expect(await ordersInDatabaseNamed('Barbara Liskov')).toBe(0);
  });

  it('confirmation email: the shopper is emailed the items and the total, and the order page says so', async () => {
    const page = await newShopper();
    const email = uniqueEmail('emailed');
    await page.goto('/');
    await addToCart(page, 'Organic Cotton Tee');
    await addToCart(page, 'Merino Socks');
    await page.goto('/cart');
    await page.getByRole('spinbutton', { name: 'Quantity of Organic Cotton Tee' }).fill('2');
    await page.getByRole('spinbutton', { name: 'Quantity of Merino Socks' }).fill('3');
    await page.getByRole('link', { name: 'Cart, 5 items' }).waitFor();
    await checkOut(page, 'Ada Lovelace', email);

    const orderId = await orderIdFromUrl(page);
    await page.getByText('Your order is confirmed.').waitFor({ timeout: CONFIRMATION_TIMEOUT_MS });
    const [order] = await ordersOf(email);
    expect(order.totalCents).toBe(2 * priceOf('TEE-002') + 3 * priceOf('SCK-008'));
    expect(formatPrice(order.totalCents)).toBe('$124.00');

    // Read back through MailDev's REST API, as the shopper's mailbox would receive it.
    const confirmation = await caughtEmail((caught) => caught.headers['x-shop-order-id'] === orderId && caught.headers['x-shop-event'] === 'order.confirmed');
    expect(confirmation.to.map((recipient) => recipient.address)).toEqual([email]);
    expect(confirmation.headers['message-id']).toBe(`<confirmed.${orderId}@shop.test>`);
    const lines = [
      { sku: 'TEE-002', name: 'Organic Cotton Tee', quantity: 2 },
      { sku: 'SCK-008', name: 'Merino Socks', quantity: 3 },
    ];
    // The text body line by line, the HTML body as a mail client shows it (rendered, table rows read as cells).
    const text = confirmation.text.split('\n').map((line) => line.trim());
    const rendered = await newShopper();
    await rendered.setContent(confirmation.html);
    for (const { sku, name, quantity } of lines) {
      expect(text).toContain(`${quantity} × ${name} (${formatPrice(priceOf(sku))} each): ${formatPrice(quantity * priceOf(sku))}`);
      const cells = await rendered.getByRole('row').filter({ hasText: name }).getByRole('cell').allTextContents();
      expect(cells.map((cell) => cell.trim())).toEqual([name, String(quantity), formatPrice(priceOf(sku)), formatPrice(quantity * priceOf(sku))]);
    }
    expect(text).toContain(`Total: ${formatPrice(order.totalCents)}`);
    expect((await rendered.getByRole('row').filter({ hasText: 'Total' }).innerText()).replace(/\s+/g, ' ').trim()).toBe(
      `Total ${formatPrice(order.totalCents)}`,
    );
    for (const body of [confirmation.text, confirmation.html]) expect(body).toContain(`${stack.shopUrl}/orders/${orderId}`);

    await page.getByText(`We emailed the confirmation to ${email}.`).waitFor({ timeout: EMAIL_NOTE_TIMEOUT_MS });
    await page.screenshot({ path: `${SCREENSHOTS}confirmation-emailed.png`, fullPage: true });

    await screenshotInMailDev(email, confirmation.subject, 'Total', 'maildev-confirmation.png');
  });

  it("private orders: My orders lists this browser's orders; a link is asked for with the same answer for any address; the link from the inbox spends nothing until \"Sign me in\", then opens that email's orders, once; another session lists only its own; a shared computer forgets this browser's list", async () => {
    const ada = uniqueEmail('ada');
    const bob = uniqueEmail('bob');
    const adaPage = await newShopper();
    const adaOrder = await placeOrder(adaPage, 'Brass Pen', 'Ada Lovelace', ada);
    const bobPage = await newShopper();
    const bobOrder = await placeOrder(bobPage, 'Canvas Cap', 'Bob Kahn', bob);

    // The browser that placed the order lists it, by id alone.
    await adaPage.goto('/orders');
    const placedHere = adaPage.getByRole('list', { name: 'Orders placed from this browser' });
    await placedHere.getByRole('link', { name: `Order ${shortId(adaOrder)}` }).waitFor();
    expect(await placedHere.getByRole('listitem').count()).toBe(1);
    await expectNoSeriousViolations(adaPage, 'My orders');

    // Another device: the answer is the same whether or not the address has orders.
    const laptop = await newShopper();
    await laptop.goto('/orders');
    const answers: { status: number; body: string; shown: string | null }[] = [];
    for (const address of [ada, uniqueEmail('nobody')]) {
      await laptop.getByLabel('Email used at checkout').fill(address);
      const [response] = await Promise.all([
        laptop.waitForResponse((candidate) => candidate.url().endsWith('/api/sessions/link') && candidate.request().method() === 'POST'),
        laptop.getByRole('button', { name: 'Email me a link to my orders' }).click(),
      ]);
      await laptop.getByText(SIGN_IN_LINK_SENT_MESSAGE).waitFor();
      answers.push({ status: response.status(), body: await response.text(), shown: await laptop.locator('.sign-in-note').textContent() });
    }
    expect(answers[0].status).toBe(202);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0].shown).toBe(SIGN_IN_LINK_SENT_MESSAGE);

    // The link in Ada's inbox opens the sign-in page on the laptop and leaves no token in the address bar;
    // opening it spends nothing (a mail scanner runs the page too): only the button does.
    const adaLink = await signInLinkFor(ada);
    await screenshotInMailDev(ada, (await signInEmailFor(ada)).subject, 'works once', 'maildev-sign-in.png');
    const exchanges: string[] = [];
    laptop.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/sessions') exchanges.push(request.url());
    });
    // The page's own requests on arrival (the status strip's) have been answered: an exchange on load would have gone out by then.
    const arrived = laptop.waitForResponse((response) => new URL(response.url()).pathname === '/api/system/status');
    await laptop.goto(adaLink);
    const signInButton = laptop.getByRole('button', { name: 'Sign me in' });
    await signInButton.waitFor();
    await arrived;
    expect(laptop.url()).toBe(`${stack.shopUrl}/orders/sign-in`);
    await expectNoSeriousViolations(laptop, 'sign-in, the link opened');
    expect(exchanges).toEqual([]);
    expect((await laptop.request.get('/api/orders')).status()).toBe(401);
    // Keyboard reachable, focus shown, pressed with Enter.
    await tabTo(laptop, signInButton);
    await expectVisibleFocus(signInButton);
    await laptop.keyboard.press('Enter');
    const adaOrders = laptop.getByRole('list', { name: `Orders for ${ada}` });
    await adaOrders.getByRole('link', { name: `Order ${shortId(adaOrder)}` }).waitFor();
    expect(await adaOrders.getByRole('listitem').count()).toBe(1);
    expect(laptop.url()).toBe(`${stack.shopUrl}/orders`);
    expect(exchanges).toHaveLength(1);
    await expectNoSeriousViolations(laptop, 'My orders, signed in');
    // Without the ring of the heading that took focus on arrival, for the README.
    await laptop.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await laptop.screenshot({ path: `${SCREENSHOTS}my-orders-signed-in.png`, fullPage: true });
    // The session rides in an HttpOnly cookie for /api: the page's scripts never see it.
    expect(await laptop.evaluate(() => document.cookie)).toBe('');
    expect(await laptop.context().cookies()).toEqual([expect.objectContaining({ name: 'shop_session', httpOnly: true, path: '/api', sameSite: 'Lax' })]);

    // The same link a second time is refused, and the page offers a new one.
    const again = await newShopper();
    await again.goto(adaLink);
    await again.getByRole('button', { name: 'Sign me in' }).click();
    await again.getByText('This link was already used or has expired.', { exact: false }).waitFor();
    await again.getByRole('button', { name: 'Email me a link to my orders' }).waitFor();
    expect(again.url()).toBe(`${stack.shopUrl}/orders/sign-in`);
    await expectNoSeriousViolations(again, 'sign-in, the link refused');
    expect((await again.request.get('/api/orders')).status()).toBe(401);

    // Bob's session lists Bob's orders and nothing of Ada's; signing out ends it.
    await bobPage.goto('/orders');
    await bobPage.getByLabel('Email used at checkout').fill(bob);
    await bobPage.getByRole('button', { name: 'Email me a link to my orders' }).click();
    await bobPage.getByText(SIGN_IN_LINK_SENT_MESSAGE).waitFor();
    await bobPage.goto(await signInLinkFor(bob));
    await bobPage.getByRole('button', { name: 'Sign me in' }).click();
    const bobOrders = bobPage.getByRole('list', { name: `Orders for ${bob}` });
    await bobOrders.getByRole('link', { name: `Order ${shortId(bobOrder)}` }).waitFor();
    expect(await bobOrders.getByRole('link').allTextContents()).toEqual([`Order ${shortId(bobOrder)}`]);
    const listed = (await (await bobPage.request.get('/api/orders')).json()) as OrderView[];
    expect(listed.map((order) => order.id)).toEqual([bobOrder]);
    await bobPage.getByRole('button', { name: 'Sign out' }).click();
    await bobPage.getByRole('button', { name: 'Email me a link to my orders' }).waitFor();
    expect((await bobPage.request.get('/api/orders')).status()).toBe(401);

    // Signing out leaves the orders this browser placed; a shared computer forgets them too, for good.
    await bobPage
      .getByRole('list', { name: 'Orders placed from this browser' })
      .getByRole('link', { name: `Order ${shortId(bobOrder)}` })
      .waitFor();
    await bobPage.getByRole('button', { name: 'Forget the orders placed from this browser' }).click();
    await bobPage.getByText('No orders are listed for this browser now: they are forgotten here, with the name and email saved for checkout.').waitFor();
    await bobPage.reload();
    await bobPage.getByText('No orders placed from this browser yet.').waitFor();
    expect(await bobPage.getByRole('list', { name: 'Orders placed from this browser' }).count()).toBe(0);
  });
});

/** Units inventory holds for a sku now, from its database. */
async function stockOf(sku: string): Promise<number> {
  return (await rowsOf<{ available: number }>(stack.inventoryDatabaseUrl, 'SELECT available FROM stock WHERE sku = $1', [sku]))[0].available;
}

const productName = (sku: string) => DEMO_CATALOG.find((product) => product.sku === sku)!.name;

/** The kinds of the provider's ledger entries for an order, once they are `expected` (money moves after the status does). */
async function expectLedger(orderId: string, expected: string[]): Promise<void> {
  await expect
    .poll(async () => (await stack.ledgerOf(orderId)).map((entry) => entry.kind), {
      timeout: CONFIRMATION_TIMEOUT_MS,
      message: `the ledger of order ${orderId}`,
    })
    .toEqual(expected);
}

describe('paying and cancelling', () => {
  it('pays with the test card 4242…: the card goes to the provider, only its token to the shop, and the order is confirmed and charged', async () => {
    const page = await newShopper();
    const email = uniqueEmail('paid');
    await page.goto('/');
    await addToCart(page, 'Stoneware Mug');
    await page.goto('/checkout');
    await page.getByLabel('Name').fill('Mary Jackson');
    await page.getByLabel('Email').fill(email);
    // The suite's build lists the test cards (VITE_SHOW_TEST_CARDS); the shopper picks one.
    const testCards = page.getByRole('region', { name: 'Test cards' });
    await testCards.getByText('4000 0000 0000 9995 is declined for insufficient funds', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Use test card 4242 4242 4242 4242' }).click();
    expect(await page.getByLabel('Card number').inputValue()).toBe(SUCCEEDING_CARD);
    expect(await page.getByLabel('Card number').getAttribute('autocomplete')).toBe('cc-number');
    await expectNoSeriousViolations(page, 'checkout with a card');
    await page.screenshot({ path: `${SCREENSHOTS}checkout-card.png`, fullPage: true });

    const bodiesToTheShop: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/') && request.postData()) bodiesToTheShop.push(request.postData()!);
    });
    const [tokenized] = await Promise.all([
      page.waitForResponse((response) => new URL(response.url()).pathname === '/payment-provider/v1/tokens'),
      page.getByRole('button', { name: /Place order/ }).click(),
    ]);
    expect(tokenized.status()).toBe(201);
    const { token } = (await tokenized.json()) as { token: string };

    const orderId = await orderIdFromUrl(page);
    await page.getByText('Your order is confirmed.').waitFor({ timeout: CONFIRMATION_TIMEOUT_MS });
    const steps = page.getByRole('list', { name: 'Order progress' }).getByRole('listitem');
    expect(await steps.locator('.timeline__title').allTextContents()).toEqual([
      expect.stringMatching(/^Order received \(completed\)/),
      expect.stringMatching(/^Stock reserved \(completed\)/),
      expect.stringMatching(/^Payment authorized \(completed\)/),
      expect.stringMatching(/^Confirmed \(completed\)/),
    ]);
    await expectNoSeriousViolations(page, 'the order page, paid and confirmed');
    await page.screenshot({ path: `${SCREENSHOTS}paid.png`, fullPage: true });

    // The shop got the token, never the card.
    const orderBody = bodiesToTheShop.find((body) => body.includes('"payment"'));
    expect(orderBody && JSON.parse(orderBody).payment).toEqual({ token });
    expect(bodiesToTheShop.join('\n')).not.toContain('4242424242424242');
    const [order] = await ordersOf(email);
    expect(order.status).toBe('CONFIRMED');
    // Held at the provider for the order's total, then captured.
    await expectLedger(orderId, ['authorize', 'capture']);
    expect((await stack.ledgerOf(orderId)).map((entry) => entry.amountCents)).toEqual([order.totalCents, order.totalCents]);
  });

  it("a declined card (4000…9995): the provider's reason on the order page, and the stock given back", async () => {
    const sku = 'PLN-010';
    const stockBefore = await stockOf(sku);
    const page = await newShopper();
    const email = uniqueEmail('declined');
    await page.goto('/');
    await addToCart(page, productName(sku));
    await checkOut(page, 'Dorothy Vaughan', email, INSUFFICIENT_FUNDS_CARD);

    const orderId = await orderIdFromUrl(page);
    await page.getByText('Sorry, your payment was declined', { exact: false }).waitFor({ timeout: CONFIRMATION_TIMEOUT_MS });
    await page.getByText('Try another card — your items were put back.').waitFor({ timeout: CONFIRMATION_TIMEOUT_MS });
    const [order] = await ordersOf(email);
    expect(order).toMatchObject({ id: orderId, status: 'REJECTED', payment: { status: 'declined' }, stockReleased: true, cancellable: false });
    const reason = order.payment!.reason!;
    expect(reason).toBeTruthy();
    expect(await page.locator('.order-headline').textContent()).toBe(`Sorry, your payment was declined: ${reason}`);
    expect(await page.locator('.timeline__step--failed .timeline__detail').textContent()).toBe(reason);
    expect(await page.getByRole('button', { name: 'Cancel order' }).count()).toBe(0);
    await expectNoSeriousViolations(page, 'the order page, payment declined');
    await page.screenshot({ path: `${SCREENSHOTS}payment-declined.png`, fullPage: true });

    // The stock is back, and no money moved.
    expect(await stockOf(sku)).toBe(stockBefore);
    expect(await stack.ledgerOf(orderId)).toEqual([]);

    // Another card, with the same items back in the cart.
    await page.getByRole('button', { name: 'Try another card' }).click();
    await page.getByLabel('Card number').waitFor();
    await page.getByRole('link', { name: 'Cart, 1 item' }).waitFor();
  });

  it('cancels a confirmed order: CANCELLED, the payment refunded, the stock back', async () => {
    const sku = 'BTL-007';
    const stockBefore = await stockOf(sku);
    const page = await newShopper();
    const email = uniqueEmail('cancelled');
    await page.goto('/');
    await addToCart(page, productName(sku));
    await checkOut(page, 'Annie Easley', email);
    const orderId = await orderIdFromUrl(page);
    await page.getByText('Your order is confirmed.').waitFor({ timeout: CONFIRMATION_TIMEOUT_MS });
    // Captured first, so the money comes back as a refund (before the capture it would be a void).
    await expectLedger(orderId, ['authorize', 'capture']);
    expect(await stockOf(sku)).toBe(stockBefore - 1);

    await page.getByRole('button', { name: 'Cancel order' }).click();
    const confirm = page.getByRole('region', { name: 'Cancel this order?' });
    await confirm.getByText('the payment is refunded to your card', { exact: false }).waitFor();
    await expectNoSeriousViolations(page, 'the order page, confirming the cancel');
    await confirm.getByRole('button', { name: 'Yes, cancel this order' }).click();

    const headline = page.locator('.order-headline');
    await page.getByText('Your order is cancelled.', { exact: false }).waitFor();
    await headline.getByText('Refunded to your card.', { exact: false }).waitFor({ timeout: CONFIRMATION_TIMEOUT_MS });
    expect(await headline.textContent()).toBe('Your order is cancelled. Refunded to your card.');
    expect(await page.getByRole('button', { name: 'Cancel order' }).count()).toBe(0);
    await expectNoSeriousViolations(page, 'the order page, cancelled and refunded');
    await page.screenshot({ path: `${SCREENSHOTS}cancelled-refunded.png`, fullPage: true });

    await expectLedger(orderId, ['authorize', 'capture', 'refund']);
    await expect.poll(() => stockOf(sku), { timeout: CONFIRMATION_TIMEOUT_MS }).toBe(stockBefore);
    const [order] = await ordersOf(email);
    expect(order).toMatchObject({ status: 'CANCELLED', payment: { status: 'refunded' }, cancellable: false });
    // A second cancel is refused with the shop's words.
    const again = await page.request.post(`/api/orders/${orderId}/cancel`, { data: {} });
    expect(again.status()).toBeGreaterThanOrEqual(400);
  });
});

/**
 * A fault from outside inventory-service, as a broken migration would leave one: every decision it
 * writes is refused. Not an outage (no SQLSTATE the failure policy calls transient), so each attempt
 * counts and the message reaches the dead letters.
 */
const FAULT_ON = `
  CREATE FUNCTION simulated_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'simulated fault: order_decisions refuses writes (order %)', NEW.order_id; END $$;
  CREATE TRIGGER simulated_fault BEFORE INSERT ON order_decisions FOR EACH ROW EXECUTE FUNCTION simulated_fault();`;
const FAULT_OFF = `DROP TRIGGER IF EXISTS simulated_fault ON order_decisions; DROP FUNCTION IF EXISTS simulated_fault();`;

describe("operators' console", () => {
  // The fault never outlives its scenario, even one that failed half-way.
  afterEach(async () => {
    await rowsOf(stack.inventoryDatabaseUrl, FAULT_OFF);
  });

  it('repair: an order whose order.placed fails in inventory lands in the dead letters, shows as stuck with that reason, and is replayed from the console after the fix: confirmed, its stock taken once, audited', async () => {
    const operatorName = 'Ada Operator';
    const sku = 'CND-009';
    const quantity = 2;
    const stockOf = async () =>
      (await rowsOf<{ available: number }>(stack.inventoryDatabaseUrl, 'SELECT available FROM stock WHERE sku = $1', [sku]))[0].available;
    const stockBefore = await stockOf();
    await rowsOf(stack.inventoryDatabaseUrl, FAULT_ON);

    // A shopper orders two candles; inventory fails to decide, three times, and keeps the message as a dead letter.
    const shopper = await newShopper();
    const email = uniqueEmail('repaired');
    await shopper.goto('/');
    await addToCart(shopper, 'Cedar Candle');
    await shopper.goto('/cart');
    await shopper.getByRole('spinbutton', { name: 'Quantity of Cedar Candle' }).fill(String(quantity));
    await shopper.getByRole('link', { name: `Cart, ${quantity} items` }).waitFor();
    await checkOut(shopper, 'Edsger Dijkstra', email);
    const orderId = await orderIdFromUrl(shopper);
    await shopper.getByText('Your order is accepted and waiting for confirmation.').waitFor();
    const [deadLetter] = await waitFor(
      async () => {
        const rows = await rowsOf<{ id: string; reason: string; attempts: number; status: string }>(
          stack.inventoryDatabaseUrl,
          `SELECT id, reason, attempts, status FROM dead_letters WHERE payload->>'orderId' = $1`,
          [orderId],
        );
        return rows.length > 0 && rows;
      },
      { timeoutMs: DEAD_LETTER_TIMEOUT_MS, what: `order ${orderId} in inventory's dead letters` },
    );
    expect(deadLetter).toMatchObject({ attempts: 3, status: 'open' });
    expect(deadLetter.reason).toBe(`failed 3 attempts; last error: simulated fault: order_decisions refuses writes (order ${orderId})`);

    // Past the threshold while confirmations are prompt, the shopper is told a person will look at it.
    await shopper.getByText(NEEDS_A_PERSON).waitFor({ timeout: STUCK_TIMEOUT_MS });

    // The operator signs in with the token, as the form asks.
    const operator = await newShopper();
    await operator.goto('/operations');
    await operator.getByLabel('Admin token').fill(BROWSER_ADMIN_TOKEN);
    await operator.getByRole('button', { name: 'Show the figures' }).click();

    // The order is stuck, with the dead letter as its reason.
    const stuckOrders = operator.getByRole('region', { name: 'Stuck orders' });
    const stuckOrder = stuckOrders.getByRole('listitem').filter({ has: operator.getByRole('link', { name: `Order ${orderId.slice(0, 8)}: timeline` }) });
    await stuckOrder.waitFor({ timeout: STUCK_TIMEOUT_MS });
    expect(await stuckOrder.locator('.console-card__reason').textContent()).toBe(
      `A message about it died in inventory-service: ${deadLetter.reason}. Open the dead letter`,
    );
    expect(await stuckOrders.getByRole('listitem').count()).toBe(1);

    // One group in inventory-service: one dead letter of this cause.
    const deadLetters = operator.getByRole('region', { name: 'Dead letters' });
    const group = deadLetters.getByRole('listitem').filter({ hasText: '1 dead letter from inventory.order-placed: QueryFailedError' });
    await group.waitFor();
    expect(
      await deadLetters
        .getByRole('listitem')
        .filter({ hasText: /dead letters? from/ })
        .count(),
    ).toBe(1);
    expect(await group.locator('.console-card__reason').textContent()).toBe(deadLetter.reason);
    await expectNoSeriousViolations(operator, 'the console, a stuck order and its dead letter');

    // The group's message, then its detail.
    await group.getByRole('button', { name: 'Show the 1 dead letter' }).click();
    await group.getByRole('link', { name: `order.placed ${deadLetter.id.slice(0, 8)}` }).click();
    const detail = operator.getByRole('article', { name: `Dead letter ${deadLetter.id.slice(0, 8)} in inventory-service` });
    const fact = (label: string) => detail.locator('dt', { hasText: new RegExp(`^${label}$`) }).locator('xpath=following-sibling::dd');
    await fact('Reason').waitFor();
    expect(await fact('Status').textContent()).toBe('open');
    expect(await fact('Reason').textContent()).toBe(deadLetter.reason);
    expect(await fact('Attempts').textContent()).toBe('3');
    expect(await fact('Order').textContent()).toBe(`${orderId} (timeline)`);
    await screenshotSpan(operator, stuckOrders, detail.getByRole('region', { name: 'Payload' }), 'operations-dead-letters.png');
    await expectNoSeriousViolations(operator, "the console, the dead letter's detail");

    // The confirmation step shows the order's state and asks the operator's name.
    await detail.getByRole('button', { name: 'Replay…' }).click();
    const confirm = detail.getByRole('form', { name: 'Replay this message?' });
    await confirm.getByText('The order is still pending', { exact: false }).waitFor();
    await confirm.getByLabel('Your name').fill(operatorName);
    await expectNoSeriousViolations(operator, 'the console, confirming a replay');
    await screenshotSpan(operator, confirm, confirm, 'operations-replay-confirm.png');

    // The cause fixed from outside, the operator confirms the replay.
    await rowsOf(stack.inventoryDatabaseUrl, FAULT_OFF);
    await confirm.getByRole('button', { name: 'Replay', exact: true }).click();
    await detail
      .getByRole('status')
      .getByText(/^Replayed: message /)
      .waitFor();
    await fact('Status').getByText(`by ${operatorName}`, { exact: false }).waitFor();
    // The console follows the replay until inventory has applied it.
    await fact('Replay outcome').getByText('applied by the consumer').waitFor({ timeout: CONFIRMATION_TIMEOUT_MS });

    // The shopper's page confirms by itself; the databases say it happened once.
    await shopper.getByText('Your order is confirmed.').waitFor({ timeout: CONFIRMATION_TIMEOUT_MS });
    expect(await rowsOf(stack.ordersDatabaseUrl, 'SELECT status FROM orders WHERE id = $1', [orderId])).toEqual([{ status: 'CONFIRMED' }]);
    expect(await stockOf()).toBe(stockBefore - quantity);
    expect(await rowsOf(stack.inventoryDatabaseUrl, 'SELECT sku, quantity FROM reservations WHERE order_id = $1', [orderId])).toEqual([{ sku, quantity }]);
    expect(await rowsOf(stack.inventoryDatabaseUrl, 'SELECT outcome FROM order_decisions WHERE order_id = $1', [orderId])).toEqual([{ outcome: 'reserved' }]);
    expect(await rowsOf(stack.inventoryDatabaseUrl, `SELECT id, status, resolved_by FROM dead_letters WHERE payload->>'orderId' = $1`, [orderId])).toEqual([
      { id: deadLetter.id, status: 'replayed', resolved_by: operatorName },
    ]);
    expect(await rowsOf(stack.inventoryDatabaseUrl, 'SELECT operator, action, target, outcome FROM operator_actions')).toEqual([
      { operator: operatorName, action: 'replay', target: deadLetter.id, outcome: 'done' },
    ]);
    await caughtEmail((caught) => caught.headers['x-shop-order-id'] === orderId && caught.headers['x-shop-event'] === 'order.confirmed');

    // The console agrees: the action in the audit, nothing stuck, no dead letter open.
    const auditRow = operator.getByRole('region', { name: 'Audit' }).getByRole('row').filter({ hasText: deadLetter.id });
    await auditRow.waitFor();
    expect((await auditRow.getByRole('cell').allTextContents()).slice(1)).toEqual(['inventory-service', operatorName, 'replay', deadLetter.id, 'done']);
    await stuckOrders.getByText('No stuck orders.').waitFor({ timeout: STUCK_TIMEOUT_MS });
    await expect.poll(() => deadLetters.getByText('No open dead letters.').count(), { timeout: STUCK_TIMEOUT_MS }).toBe(OPERATED_SERVICES.length);

    // The order's journey, hop by hop, from the services' own tables.
    await fact('Order').getByRole('link').click();
    const timeline = operator.getByRole('region', { name: 'Timeline' });
    await timeline.getByRole('heading', { name: `Order ${orderId}: confirmed` }).waitFor();
    const hops = await timeline.getByRole('listitem').locator('strong').allTextContents();
    // Inventory decides, then payment-service (its authorization and its capture), then order-service applies the latest answer.
    expect(hops.filter((hop) => ['accepted', 'dead-lettered', 'replayed', 'decided', 'applied'].includes(hop))).toEqual([
      'accepted',
      'dead-lettered',
      'replayed',
      'decided',
      'decided',
      'applied',
      'applied',
    ]);
    await screenshotSpan(operator, timeline, timeline, 'operations-timeline.png');
    await expectNoSeriousViolations(operator, 'the console, the timeline');
  });
});
