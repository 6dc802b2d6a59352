/**
 * The shop in Chromium against the real services: a shopper orders, and watches the order confirm,
 * even while inventory is down, and gets the confirmation email (caught by MailDev). Screenshots land in .runs/screenshots/ (ignored); `pnpm results:publish`
 * copies them to docs/screenshots/ for the README.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEMO_CATALOG, type OrderView } from '@shop/contracts';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPrice } from '../src/format';
import { startShopStack, type CaughtEmail, type ShopStack } from './harness';

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

/** A fresh shopper: its own cookies and localStorage, so no cart carries over between scenarios. */
async function newShopper(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ baseURL: stack.shopUrl, viewport });
  return context.newPage();
}

const uniqueEmail = (who: string) => `${who}.${Date.now().toString(36)}@example.com`;

async function addToCart(page: Page, productName: string) {
  await page.getByRole('button', { name: `Add to cart: ${productName}` }).click();
  await page
    .getByRole('article', { name: productName })
    .getByText(/in your cart/)
    .waitFor();
}

async function checkOut(page: Page, name: string, email: string) {
  await page.goto('/checkout');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: /Place order/ }).click();
}

async function ordersOf(email: string): Promise<OrderView[]> {
  const response = await fetch(`${stack.orderServiceUrl}/api/orders?email=${encodeURIComponent(email)}`);
  expect(response.status).toBe(200);
  return (await response.json()) as OrderView[];
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

const priceOf = (sku: string) => DEMO_CATALOG.find((product) => product.sku === sku)!.priceCents;

async function orderIdFromUrl(page: Page): Promise<string> {
  await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
  return new URL(page.url()).pathname.split('/').pop()!;
}

describe('shop in a browser', () => {
  it('happy path: browse, add two products, check out, see the order confirmed', async () => {
    const page = await newShopper();
    const email = uniqueEmail('happy');
    await page.goto('/');
    await page.getByRole('article', { name: 'Wool Blanket' }).getByText('Only 15 left').waitFor();
    await page.getByText('Everything is running.').waitFor({ timeout: STATUS_STRIP_TIMEOUT_MS });
    await page.screenshot({ path: `${SCREENSHOTS}catalog.png` });

    await addToCart(page, 'Stoneware Mug');
    await addToCart(page, 'Dot-Grid Notebook');
    await page.getByRole('link', { name: 'Cart, 2 items' }).click();
    await page.getByRole('heading', { name: 'Stoneware Mug' }).waitFor();
    await page.getByRole('link', { name: 'Go to checkout' }).click();
    await page.getByLabel('Name').fill('Grace Hopper');
    await page.getByLabel('Email').fill(email);
    // A double click must not make two orders: the button disables and the key is reused.
    await page.getByRole('button', { name: /Place order/ }).dblclick();

    const orderId = await orderIdFromUrl(page);
    await page.getByRole('heading', { name: /Thank you for your order/ }).waitFor();
    await page.getByText('Your order is confirmed.').waitFor({ timeout: CONFIRMATION_TIMEOUT_MS });
    await page.screenshot({ path: `${SCREENSHOTS}confirmed.png`, fullPage: true });

    const orders = await ordersOf(email);
    expect(orders.map((order) => [order.id, order.status])).toEqual([[orderId, 'CONFIRMED']]);
    expect(orders[0].lines.map((line) => [line.sku, line.quantity])).toEqual([
      ['MUG-001', 1],
      ['NBK-005', 1],
    ]);
    expect(await page.getByRole('link', { name: 'Cart, 0 items' }).count()).toBe(1);

    await page.getByRole('link', { name: 'My orders' }).click();
    await page.getByLabel('Email used at checkout').fill(email);
    await page.getByRole('button', { name: 'Show orders' }).click();
    await page
      .getByRole('listitem')
      .filter({ hasText: `Order ${orderId.slice(0, 8).toUpperCase()}` })
      .getByText('Confirmed')
      .waitFor();
  });

  it('inventory down: the order is accepted as pending, then confirms live when inventory is back', async () => {
    await stack.stopInventory();
    const page = await newShopper();
    const email = uniqueEmail('offline');
    await page.goto('/');
    await page.getByRole('article', { name: 'Canvas Cap' }).getByText('Stock confirmed after you order').waitFor();
    await page.getByText('Inventory is offline for a moment.', { exact: false }).first().waitFor({ timeout: STATUS_STRIP_TIMEOUT_MS });

    await addToCart(page, 'Canvas Cap');
    await checkOut(page, 'Katherine Johnson', email);
    const orderId = await orderIdFromUrl(page);
    await page.getByText('Your order is accepted and waiting for confirmation.').waitFor();
    await page.getByText('Your order is safe and will be confirmed automatically', { exact: false }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}pending-inventory-offline.png`, fullPage: true });
    expect((await ordersOf(email)).map((order) => order.status)).toEqual(['PENDING']);

    // A marker on the window survives only if the page is never reloaded.
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
    await stack.startInventory();
    await page.getByText('Your order is confirmed.').waitFor({ timeout: CONFIRMATION_TIMEOUT_MS });
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await page.getByText('Everything is running.').waitFor({ timeout: STATUS_STRIP_TIMEOUT_MS });
    expect((await ordersOf(email)).map((order) => [order.id, order.status])).toEqual([[orderId, 'CONFIRMED']]);
  });

  it('out of stock: more than is available is accepted, then rejected with the sku in the reason', async () => {
    const page = await newShopper();
    const email = uniqueEmail('toomany');
    await page.goto('/');
    await addToCart(page, 'Wool Blanket');
    await page.goto('/cart');
    await page.getByRole('spinbutton', { name: 'Quantity of Wool Blanket' }).fill('20');
    await page.getByText('Only 15 in stock right now').waitFor();

    await checkOut(page, 'Alan Turing', email);
    await orderIdFromUrl(page);
    await page.getByText('Sorry, we could not confirm your order.').waitFor({ timeout: CONFIRMATION_TIMEOUT_MS });
    const reason = page.getByRole('list', { name: 'Order progress' }).locator('.timeline__step--failed .timeline__detail');
    expect(await reason.textContent()).toContain('BLK-012');

    const [order] = await ordersOf(email);
    expect(order.status).toBe('REJECTED');
    expect(order.statusReason).toContain('BLK-012');
  });

  it('bad input: an empty cart and an invalid email are refused with messages, and no order is made', async () => {
    const page = await newShopper();
    const email = uniqueEmail('careless');
    await checkOut(page, 'Barbara Liskov', email);
    await page.getByRole('region', { name: 'Your order' }).getByText('Your cart must contain at least one line').waitFor();

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

    // The server refuses the same input with the same words.
    const response = await fetch(`${stack.orderServiceUrl}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({ customer: { name: 'Barbara Liskov', email: 'barbara@' }, lines: [{ sku: 'PEN-006', quantity: 1 }] }),
    });
    expect(response.status).toBe(400);
    expect((await response.json()).issues).toContainEqual({ field: 'customer.email', message: 'must be a valid email address' });
    expect(await ordersOf(email)).toEqual([]);
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

    const inbox = await newShopper();
    await inbox.goto(`${stack.mailCatcherUrl}/`);
    // Other scenarios' emails are in the inbox too: MailDev's search keeps this shopper's.
    await inbox.getByPlaceholder('Search emails').fill(email);
    await inbox.getByText(confirmation.subject).first().click();
    await inbox.frameLocator('iframe').first().getByText(`Total`).first().waitFor();
    await inbox.screenshot({ path: `${SCREENSHOTS}maildev-confirmation.png` });
  });
});
