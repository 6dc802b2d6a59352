import { DEMO_CATALOG, type ProductView, type ShopperStatusView, type SystemStatusView } from '@shop/contracts';
import { vi } from 'vitest';

/** A route answers with a Response, or throws to play a network error. */
type Route = (request: Request) => Response | Promise<Response>;

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Headers;
  body: unknown;
}

/**
 * Stands in for the network at the fetch boundary: routes by "METHOD /path" (query string ignored) and
 * records every request, so tests assert what the shop sent and what it rendered from the answers.
 */
export function installFakeApi(routes: Record<string, Route>) {
  const requests: RecordedRequest[] = [];
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(new URL(String(input), 'http://shop.test'), init);
    const text = request.method === 'GET' ? '' : await request.clone().text();
    requests.push({ method: request.method, url: request.url, headers: request.headers, body: text ? JSON.parse(text) : undefined });
    const route = routes[`${request.method} ${new URL(request.url).pathname}`];
    return route ? route(request) : json({ statusCode: 404, error: 'Not Found', message: 'no such route' }, 404);
  });
  return { requests, posts: () => requests.filter((request) => request.method === 'POST') };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export const networkError: Route = () => {
  throw new TypeError('Failed to fetch');
};

export const PRODUCTS: ProductView[] = DEMO_CATALOG.map(({ sku, name, description, priceCents, imageUrl }) => ({
  sku,
  name,
  description,
  priceCents,
  imageUrl,
}));

export const productBySku = (sku: string): ProductView => {
  const product = PRODUCTS.find((candidate) => candidate.sku === sku);
  if (!product) throw new Error(`no demo product ${sku}`);
  return product;
};

/** The shop's word for shoppers (GET /api/system/status). */
export function shopperStatus(confirmations: ShopperStatusView['confirmations'] = 'prompt'): ShopperStatusView {
  return { confirmations, checkedAt: new Date().toISOString(), stuckAfterSeconds: 120 };
}

/** The operators' figures (GET /api/operations/status). */
export function systemStatus(overrides: { inventoryOnline?: boolean; queueDepth?: number; backlog?: number } = {}): SystemStatusView {
  const online = overrides.inventoryOnline ?? true;
  return {
    broker: { reachable: true },
    outbox: { backlog: overrides.backlog ?? 0, oldestAgeSeconds: overrides.backlog ? 4 : null },
    inventory: { online, queueDepth: overrides.queueDepth ?? 0, consumers: online ? 1 : 0 },
    checkedAt: new Date().toISOString(),
  };
}

/** The routes every page needs, healthy. */
export function shopRoutes(): Record<string, Route> {
  return {
    'GET /api/products': () => json(PRODUCTS),
    'GET /api/stock': () => json(DEMO_CATALOG.map((product) => ({ sku: product.sku, available: product.initialStock, updatedAt: new Date().toISOString() }))),
    'GET /api/system/status': () => json(shopperStatus()),
  };
}
