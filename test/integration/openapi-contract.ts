/**
 * The OpenAPI document held to the real traffic. `recordRoutes` lists every route a service
 * registers (a Fastify onRoute hook, added before Nest registers any); `checkResponsesAgainstOpenApi`
 * wraps the `fetch` the integration suite calls the services with, and validates each JSON answer
 * of a documented path and method against the document's schema for its status (ajv, JSON Schema
 * 2020-12, OpenAPI 3.1's dialect). Every suite of test/integration runs under it (jest.config.js).
 */
import { ENDPOINTS, openApiDocument, type Service } from '@shop/contracts';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';

/** `GET /api/orders/{id}`: a route as the document names it. */
export type RouteKey = string;

/** A Fastify plugin (for HttpAppOptions.plugins) that adds each route the app registers to `routes`, HEAD routes Fastify adds to GETs left out. */
export function recordRoutes(routes: Set<RouteKey>): (app: NestFastifyApplication) => Promise<void> {
  return async (app) => {
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRoute', (route) => {
        const methods = Array.isArray(route.method) ? route.method : [route.method];
        for (const method of methods) if (method !== 'HEAD') routes.add(`${method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
      });
  };
}

type Operation = { responses: Record<string, { content?: Record<string, unknown> }> };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface DocumentedRoute {
  method: string;
  path: string;
  service: Service;
  pattern: RegExp;
  operation: Operation;
}

/** A mismatch between an answer and the document. */
export interface ContractViolation {
  request: string;
  status: number;
  problem: string;
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

class OpenApiChecker {
  private readonly document = openApiDocument();
  private readonly ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  readonly routes: DocumentedRoute[] = [];
  readonly violations: ContractViolation[] = [];
  /** The services the harness started, by origin: a request for another service's path (a 404 a test provokes) is not checked. */
  private readonly serviceAt = new Map<string, Service>();
  checked = 0;

  /** Tells which service answers at `url`. */
  started(service: Service, url: string): void {
    this.serviceAt.set(new URL(url).origin, service);
  }

  constructor() {
    this.ajv.addSchema(this.document, 'openapi');
    const paths = this.document.paths as Record<string, Record<string, Operation>>;
    for (const [path, item] of Object.entries(paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const pattern = new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`);
        const service = ENDPOINTS.find((endpoint) => endpoint.path === path && endpoint.method === method)!.service;
        this.routes.push({ method: method.toUpperCase(), path, service, pattern, operation });
      }
    }
    // Routes with fewer parameters first: a literal segment wins over a parameter, as in the services' router.
    const parameters = (route: DocumentedRoute) => route.path.split('{').length;
    this.routes.sort((a, b) => parameters(a) - parameters(b));
  }

  /** Validates one answer; does nothing for a path the document does not describe (the payment provider, a made-up route). */
  async check(method: string, url: URL, response: Response): Promise<void> {
    const route = this.routes.find((candidate) => candidate.method === method && candidate.pattern.test(url.pathname));
    if (!route) return;
    // Only the services the harness started: not a metrics port, not an app a test started on its own.
    const service = this.serviceAt.get(url.origin);
    if (service !== route.service) return;
    const request = `${method} ${url.pathname}${url.search}`;
    const status = String(response.status);
    const answer = route.operation.responses[status];
    if (!answer) {
      this.violations.push({ request, status: response.status, problem: `status ${status} is not documented for ${method} ${route.path}` });
      return;
    }
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0].trim();
    if (!answer.content) return;
    if (!(contentType in answer.content)) {
      this.violations.push({
        request,
        status: response.status,
        problem: `content type "${contentType}" is not documented (${Object.keys(answer.content).join(', ')})`,
      });
      return;
    }
    if (contentType !== 'application/json') return;
    const body: unknown = await response
      .clone()
      .json()
      .catch(() => Symbol.for('not JSON'));
    if (typeof body === 'symbol') {
      this.violations.push({ request, status: response.status, problem: 'the body is not JSON' });
      return;
    }
    const pointer = ['paths', route.path, method.toLowerCase(), 'responses', status, 'content', contentType, 'schema'].map(escapePointer).join('/');
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi#/${pointer}` });
      this.validators.set(pointer, validate);
    }
    this.checked++;
    if (!validate(body)) {
      const errors = (validate.errors ?? []).map((error) => `${error.instancePath || '(body)'} ${error.message}`).join('; ');
      this.violations.push({ request, status: response.status, problem: `the body does not fit the schema: ${errors}: ${JSON.stringify(body).slice(0, 300)}` });
    }
  }
}

let checker: OpenApiChecker | null = null;

/** The checker of this test file; created on first use (the document is generated once per file). */
export function openApiChecker(): OpenApiChecker {
  return (checker ??= new OpenApiChecker());
}

/**
 * Wraps the global fetch for this test file: every answer from a service the harness started is
 * checked against the document; the test file fails in its afterAll when one did
 * not fit. Returns the original fetch.
 */
export function checkResponsesAgainstOpenApi(): typeof fetch {
  const original = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const response = await original(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    if (url.pathname.startsWith('/api/')) await openApiChecker().check(method, url, response);
    return response;
  };
  return original;
}
