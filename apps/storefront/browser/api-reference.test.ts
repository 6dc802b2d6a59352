/**
 * The API reference page (api-reference/): `vite preview` serves it under the storefront's production
 * CSP, and it renders the OpenAPI document the shop serves at /api/openapi.json. No service runs here:
 * a stand-in for order-service answers /api/openapi.json with the committed docs/api/openapi.json,
 * which a test of the integration suite holds to the generator, through the preview's real proxy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@shop/testing';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordCspViolations } from './accessibility';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const STOREFRONT_DIR = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../../../.runs/screenshots/', import.meta.url));
const DOCUMENT = readFileSync(new URL('../../../docs/api/openapi.json', import.meta.url), 'utf8');

let orderService: Server;
let preview: ChildProcess;
let previewOutput = '';
let shopUrl: string;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  orderService = createServer((request, response) => {
    if (request.url === '/api/openapi.json') response.writeHead(200, { 'content-type': 'application/json' }).end(DOCUMENT);
    else response.writeHead(404).end();
  });
  const orderPort = await freePort();
  await new Promise<void>((resolve) => orderService.listen(orderPort, '127.0.0.1', resolve));

  const shopPort = await freePort();
  shopUrl = `http://127.0.0.1:${shopPort}`;
  const vite = join(dirname(createRequire(join(STOREFRONT_DIR, 'package.json')).resolve('vite/package.json')), 'bin/vite.js');
  preview = spawn(process.execPath, [vite, 'preview', '--host', '127.0.0.1', '--port', String(shopPort), '--strictPort'], {
    cwd: STOREFRONT_DIR,
    env: { ...process.env, ORDER_URL: `http://127.0.0.1:${orderPort}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  preview.stdout?.on('data', (chunk: Buffer) => (previewOutput += chunk.toString()));
  preview.stderr?.on('data', (chunk: Buffer) => (previewOutput += chunk.toString()));
  for (let attempt = 0; ; attempt++) {
    const ready = await fetch(`${shopUrl}/api-reference/`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (preview.exitCode !== null || attempt === 300) throw new Error(`vite preview never served /api-reference/:\n${previewOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  preview?.kill();
  await new Promise((resolve) => orderService?.close(resolve));
});

it('renders the operations of the OpenAPI document under the production CSP', async () => {
  const context = await browser.newContext({ baseURL: shopUrl });
  const violations = await recordCspViolations(context);
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });

  const response = await page.goto('/api-reference/');
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");

  // A shopper's endpoint and an operator's, each as Swagger UI titles an operation: method, then path.
  const placeOrder = page.locator('.opblock-post', { hasText: '/api/orders' }).first();
  await expect.poll(() => placeOrder.locator('.opblock-summary-method').textContent(), { timeout: 30_000 }).toBe('POST');
  await expect.poll(() => page.locator('.opblock-summary-path', { hasText: /^\/api\/operations\// }).count()).toBeGreaterThan(0);
  expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
  expect(await page.locator('.errors-wrapper').count(), 'Swagger UI reported errors in the document').toBe(0);

  // Opened, an operation shows its body's schema, its answers and their examples (highlighted code): the parts most likely to need an inline style.
  await placeOrder.locator('.opblock-summary-control').click();
  await placeOrder.locator('.responses-table').first().waitFor();
  expect(await placeOrder.locator('.response-col_status').allTextContents()).toEqual(expect.arrayContaining(['201', '400']));
  await placeOrder.locator('.parameter__name', { hasText: 'Idempotency-Key' }).waitFor();
  await page.locator('.opblock-post .highlight-code').first().waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'api-reference.png'), fullPage: false });
  await context.close();
  expect(violations, 'Content-Security-Policy violations').toEqual([]);
  expect(consoleErrors.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
});
