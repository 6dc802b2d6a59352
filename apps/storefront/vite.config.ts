/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type ProxyOptions } from 'vite';

const orderServiceUrl = process.env.ORDER_URL ?? 'http://127.0.0.1:3001';
const inventoryServiceUrl = process.env.INVENTORY_URL ?? 'http://127.0.0.1:3002';
const notificationServiceUrl = process.env.NOTIFICATION_URL ?? 'http://127.0.0.1:3003';

// Stock belongs to inventory-service, the emails sent to notification-service, everything else under /api to order-service.
// The more specific prefix must come first: the first matching key wins.
// Server-sent events stream through: the proxy pipes the response without buffering it.
const apiProxy: Record<string, ProxyOptions> = {
  '/api/stock': { target: inventoryServiceUrl, changeOrigin: true },
  '/api/notifications': { target: notificationServiceUrl, changeOrigin: true },
  '/api': { target: orderServiceUrl, changeOrigin: true },
};

export default defineConfig({
  plugins: [react()],
  resolve: {
    // Compile the contracts' TypeScript source into the bundle: its dist/ is CommonJS for Node.
    alias: { '@shop/contracts': fileURLToPath(new URL('../../libs/contracts/src/index.ts', import.meta.url)) },
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true, proxy: apiProxy },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, proxy: apiProxy },
  build: { sourcemap: true },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
