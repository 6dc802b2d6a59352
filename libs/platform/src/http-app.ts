import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from '@fastify/helmet';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { trace } from '@opentelemetry/api';
import { Logger } from 'nestjs-pino';
import { z } from 'zod';
import { ConfigError, env } from './config';
import { badRequestBody, errorBody } from './http-error-body';
import { DatabaseDataErrorsAsBadRequest } from './validation';

export interface HttpAppOptions {
  /** Largest accepted request body; larger ones get 413 before any handler runs. */
  bodyLimitBytes?: number;
  /** Listen for SIGTERM/SIGINT and shut down gracefully (processes yes, in-process tests no). */
  shutdownHooks?: boolean;
  /** Timeouts and trusted proxies of the HTTP server (a service passes its config); unset: the defaults of httpServerEnv. */
  server?: HttpServerSettings;
  /** Fastify plugins of this service (cookies, rate limits), registered before any route exists. */
  plugins?: (app: NestFastifyApplication) => Promise<void>;
}

/**
 * The security headers of every API response, 4xx, 5xx and event streams included (helmet sets them
 * in onRequest). A JSON API loads nothing, so its CSP allows nothing; HSTS belongs to whoever
 * terminates TLS (nginx, the ingress), not to a service behind it.
 */
export const API_SECURITY_HEADERS = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
  },
  referrerPolicy: { policy: 'no-referrer' as const },
  crossOriginResourcePolicy: { policy: 'same-origin' as const },
  xFrameOptions: { action: 'deny' as const },
  hsts: false,
};

/** The variables that shape the HTTP server; a service's environment schema spreads them in. */
export const httpServerEnv = {
  /** A client must send a request's headers within this (else 408 and closed); at most HTTP_REQUEST_TIMEOUT_MS. */
  HTTP_HEADERS_TIMEOUT_MS: env.positiveInt(10_000),
  /** A client must send a whole request, body included, within this (else 408 and closed); a response that streams is not limited. */
  HTTP_REQUEST_TIMEOUT_MS: env.positiveInt(30_000),
  /** An idle keep-alive connection is closed after this; above the 60 s idle timeout of common load balancers, so they close first. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: env.positiveInt(72_000),
  /** A connection silent both ways for this long is closed (event streams are exempt: they heartbeat). */
  HTTP_IDLE_TIMEOUT_MS: env.positiveInt(60_000),
  /**
   * Proxies believed when X-Forwarded-For names the client (and X-Forwarded-Proto the scheme): addresses,
   * CIDRs, loopback, uniquelocal (private ranges); "none", the default, believes no one until the proxy in front is named.
   */
  HTTP_TRUSTED_PROXIES: z.string().trim().min(1).default('none'),
};

export type HttpServerSettings = z.infer<z.ZodObject<typeof httpServerEnv>>;

/** How often Node looks for connections past their header or request timeout (its default, 30 s, lets one overstay by that much). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/**
 * Fastify's server options for these settings. Node's headers and request timeouts bound how long a
 * client may take to send a request (slow headers, slow body: 408, then closed); they end when the
 * request is received, so a response that streams for an hour (server-sent events) is not cut.
 */
export function httpServerOptions(settings: HttpServerSettings = z.object(httpServerEnv).parse({})) {
  if (settings.HTTP_HEADERS_TIMEOUT_MS > settings.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError([`HTTP_HEADERS_TIMEOUT_MS: must be at most HTTP_REQUEST_TIMEOUT_MS (${settings.HTTP_REQUEST_TIMEOUT_MS})`]);
  }
  const trusted = settings.HTTP_TRUSTED_PROXIES;
  return {
    http: {
      headersTimeout: settings.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: settings.HTTP_REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, settings.HTTP_HEADERS_TIMEOUT_MS),
    },
    requestTimeout: settings.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: settings.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    connectionTimeout: settings.HTTP_IDLE_TIMEOUT_MS,
    trustProxy: trusted === 'none' ? false : trusted,
  };
}

/** `text` percent-decoded (and `+` as a space, as in a form), or null when an escape is not valid UTF-8 (`%FF`, `%E2%82`, `%2`). */
function decodeStrictly(text: string): string | null {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return null;
  }
}

/**
 * The first query parameter of `url` whose name or value is not valid percent-encoded UTF-8, by its
 * name (as sent, when the name itself is the bad part), or null. Fastify's own parser would pass such a
 * value on undecoded (`stoneware%20mug%FF`), and the handler would act on text the client never meant.
 */
export function undecodableQueryParameter(url: string): string | null {
  const start = url.indexOf('?');
  if (start === -1) return null;
  for (const pair of url.slice(start + 1).split('&')) {
    if (!pair.includes('%')) continue;
    const equals = pair.indexOf('=');
    const rawName = equals === -1 ? pair : pair.slice(0, equals);
    const name = decodeStrictly(rawName);
    if (name === null) return rawName;
    if (equals !== -1 && decodeStrictly(pair.slice(equals + 1)) === null) return name;
  }
  return null;
}

/**
 * The errors Fastify answers before any route runs, in the body every other error has: a path that is
 * not valid percent-encoded UTF-8 (`/api/orders/%FF`) is a 400 naming `path`.
 */
function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const statusCode = error.statusCode ?? 400;
  if (error.code === 'FST_ERR_BAD_URL') {
    void reply.code(400).send(badRequestBody([{ field: 'path', message: 'is not valid percent-encoded UTF-8' }]));
    return;
  }
  void reply.code(statusCode).send(errorBody(statusCode, error.message));
}

/** A NestJS application on Fastify with structured logs. */
export async function createHttpApp(module: Type<unknown> | DynamicModule, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({ bodyLimit: options.bodyLimitBytes ?? 64 * 1024, ...httpServerOptions(options.server), frameworkErrors }),
    {
      bufferLogs: true,
      // Fastify's own JSON parser only: Nest's would add a form (urlencoded) parser this API never takes.
      bodyParser: false,
    },
  );
  app.useLogger(app.get(Logger));
  // Plugins before routes: Nest adds its routes at init, and a hook registered later misses them. No CORS is enabled: closed by default.
  await app.register(helmet, API_SECURITY_HEADERS);
  // Every route's query string decodes strictly, before any handler, guard or pipe sees it (after helmet, so the 400 has its headers).
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (request, reply) => {
      const field = undecodableQueryParameter(request.url);
      if (field !== null) return reply.code(400).send(badRequestBody([{ field, message: 'is not valid percent-encoded UTF-8' }]));
    });
  if (options.plugins) await options.plugins(app);
  app.useGlobalInterceptors(new DatabaseDataErrorsAsBadRequest());
  // The request's server span (when tracing is on) named by its route, as the HTTP conventions say: `POST /api/orders`, not `POST`.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request: { method: string; routeOptions: { url?: string } }, _reply: unknown, done: () => void) => {
      const route = request.routeOptions.url;
      const span = trace.getActiveSpan();
      if (span && route) {
        span.updateName(`${request.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      done();
    });
  // JSON only: a text/plain or form body is refused with 415 rather than parsed into a string.
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  if (options.shutdownHooks) app.enableShutdownHooks();
  return app;
}

/** Starts listening and logs where. */
export async function listen(app: INestApplication, port: number, host: string): Promise<string> {
  await app.listen(port, host);
  const url = await app.getUrl();
  app.get(Logger).log(`listening on ${host}:${new URL(url).port}`);
  return url;
}
