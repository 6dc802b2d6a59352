import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connect, Plugin } from 'vite';

/** Where the page is, in `vite` and `vite preview` (and so in `pnpm stack`). */
export const API_REFERENCE_PATH = '/api-reference/';

const OWN_DIR = dirname(fileURLToPath(import.meta.url));
const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** Every file the page loads: our own page and init script, and Swagger UI's static build as its package ships it. */
const FILES: Record<string, { path: string; type: string }> = {
  '': { path: join(OWN_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  'index.html': { path: join(OWN_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  'init.js': { path: join(OWN_DIR, 'init.js'), type: 'text/javascript; charset=utf-8' },
  'swagger-ui.css': { path: join(SWAGGER_UI_DIR, 'swagger-ui.css'), type: 'text/css; charset=utf-8' },
  'swagger-ui-bundle.js': { path: join(SWAGGER_UI_DIR, 'swagger-ui-bundle.js'), type: 'text/javascript; charset=utf-8' },
};

/**
 * A readable API reference in development: Swagger UI over `/api/openapi.json`, the document
 * order-service serves (docs/api/openapi.json), served by the dev server and by `vite preview` with
 * the storefront's security headers (the production CSP). Served from here, never emitted: the
 * production build, and so the nginx image, does not hold it.
 */
export function apiReference(headers: Record<string, string>): Plugin {
  const serve: Connect.NextHandleFunction = (request: IncomingMessage, response: ServerResponse, next: Connect.NextFunction) => {
    const path = (request.url ?? '').split('?')[0];
    if (path === API_REFERENCE_PATH.slice(0, -1)) {
      response.writeHead(301, { location: API_REFERENCE_PATH }).end();
      return;
    }
    if (!path.startsWith(API_REFERENCE_PATH)) return next();
    const file = FILES[path.slice(API_REFERENCE_PATH.length)];
    if (!file || (request.method !== 'GET' && request.method !== 'HEAD')) return next();
    const body = readFileSync(file.path);
    response.writeHead(200, { ...headers, 'content-type': file.type, 'content-length': body.length, 'cache-control': 'no-cache' });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
  return {
    name: 'api-reference',
    configureServer: (server) => void server.middlewares.use(serve),
    configurePreviewServer: (server) => void server.middlewares.use(serve),
  };
}
