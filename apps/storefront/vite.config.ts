/// <reference types="vitest/config" />
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin, type ProxyOptions } from 'vite';
import { SHOP_NAME } from '../../libs/contracts/src/shop';
import { apiReference } from './api-reference/plugin';

const orderServiceUrl = process.env.ORDER_URL ?? 'http://127.0.0.1:3001';
const inventoryServiceUrl = process.env.INVENTORY_URL ?? 'http://127.0.0.1:3002';
const notificationServiceUrl = process.env.NOTIFICATION_URL ?? 'http://127.0.0.1:3003';
const paymentServiceUrl = process.env.PAYMENT_URL ?? 'http://127.0.0.1:3004';
/** The card processor (apps/payment-provider stands in for it): the browser tokenizes cards there. */
const paymentProviderUrl = process.env.PAYMENT_PROVIDER_URL ?? 'http://127.0.0.1:4010';

// Stock belongs to inventory-service, the emails sent to notification-service, everything else under /api to order-service.
// The more specific prefix must come first: the first matching key wins.
// Server-sent events stream through: the proxy pipes the response without buffering it.
const routes: Record<string, ProxyOptions> = {
  '/api/stock': { target: inventoryServiceUrl, changeOrigin: true },
  // Each service's operators' routes (dead letters, parked rows, audit) go to that service.
  '/api/operations/inventory': { target: inventoryServiceUrl, changeOrigin: true },
  '/api/operations/notifications': { target: notificationServiceUrl, changeOrigin: true },
  '/api/operations/payments': { target: paymentServiceUrl, changeOrigin: true },
  '/api/notifications': { target: notificationServiceUrl, changeOrigin: true },
  '/api': { target: orderServiceUrl, changeOrigin: true },
  // The provider's own origin, reached through the shop's (as nginx does): the CSP's connect-src stays 'self'.
  '/payment-provider/': { target: paymentProviderUrl, changeOrigin: true, rewrite: (path) => path.replace(/^\/payment-provider/, '') },
};

/**
 * As nginx does (infra/nginx/proxy-params.conf): the client is the address that connected, never an
 * X-Forwarded-For it wrote, which the services believe from this proxy when told to (`pnpm stack`).
 */
const reportClient: ProxyOptions['configure'] = (proxy) => {
  proxy.on('proxyReq', (proxyReq, request) => {
    proxyReq.setHeader('x-forwarded-for', request.socket.remoteAddress ?? '');
    proxyReq.setHeader('x-forwarded-proto', 'http');
  });
};
const apiProxy = Object.fromEntries(Object.entries(routes).map(([prefix, route]) => [prefix, { ...route, configure: reportClient }]));

/**
 * The storefront's security headers as nginx sends them (security-headers.conf, which nginx includes), for
 * `vite preview`: the browser suite then runs the built shop under the production CSP. Each line is
 * `add_header Name "value" always;`; one set from an nginx variable ($hsts, https only) has no
 * meaning over the preview's http and is left out. Any other shape fails here, not silently.
 */
export function securityHeaders(conf = readFileSync(new URL('./security-headers.conf', import.meta.url), 'utf8')): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of conf.split('\n').map((text) => text.trim())) {
    if (!line.startsWith('add_header')) continue;
    const quoted = /^add_header ([A-Za-z-]+) "([^"$]*)" always;$/.exec(line);
    if (quoted) headers[quoted[1]] = quoted[2];
    else if (!/^add_header [A-Za-z-]+ \$\w+ always;$/.test(line)) throw new Error(`security-headers.conf: cannot read ${line}`);
  }
  return headers;
}

/** index.html names the shop as `%SHOP_NAME%`: the one name of libs/contracts, as the app and the emails use it. */
const shopName: Plugin = { name: 'shop-name', transformIndexHtml: (html) => html.replaceAll('%SHOP_NAME%', SHOP_NAME) };

export default defineConfig({
  plugins: [react(), shopName, apiReference(securityHeaders())],
  resolve: {
    // Compile the contracts' TypeScript source into the bundle: its dist/ is CommonJS for Node.
    alias: { '@shop/contracts': fileURLToPath(new URL('../../libs/contracts/src/index.ts', import.meta.url)) },
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true, proxy: apiProxy },
  // Never on `server`: the dev server's HMR client injects inline scripts the CSP forbids.
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, proxy: apiProxy, headers: securityHeaders() },
  build: { sourcemap: true },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
