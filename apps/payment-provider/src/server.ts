import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Pool } from 'pg';
import { AuthorizationsService } from './authorizations/authorizations.service';
import { authorizationsRoutes } from './authorizations/authorizations.routes';
import { createPool } from './database/database';
import { ensureSchema } from './database/schema';
import { requireApiKey } from './http/api-key';
import { HeldAnswers } from './http/held-answers';
import { ProviderError, type ProviderErrorBody } from './http/provider-error';
import { tokensRoutes } from './tokens/tokens.routes';

export interface PaymentProviderOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The provider's own database; it must exist (the tables are created here). */
  databaseUrl: string;
  /** The secret key callers send as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** How long the first answer for a tok_hang card is held back; default 30 s. */
  hangMs?: number;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Where the JSON log lines go; default stdout. */
  logStream?: { write(line: string): void };
}

export interface PaymentProvider {
  url: string;
  close(): Promise<void>;
}

/** A start that failed, with the option at fault (main names its environment variable). */
export class ProviderStartError extends Error {
  constructor(
    readonly option: 'databaseUrl' | 'host' | 'port',
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderStartError';
  }
}

/** SQLSTATE classes of a lost or refused database: 08 connection, 57P admin shutdown, 53 out of resources. */
const DATABASE_UNAVAILABLE = /^(08|57P|53)/;
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

function databaseUnavailable(err: { code?: unknown; message?: unknown }): boolean {
  const code = typeof err.code === 'string' ? err.code : '';
  return (
    DATABASE_UNAVAILABLE.test(code) || NETWORK_ERRORS.has(code) || /timeout exceeded when trying to connect|Connection terminated/i.test(String(err.message))
  );
}

/** Every error becomes the same JSON body; input problems are 4xx naming the field, never 5xx. */
function answerErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof ProviderError) return reply.code(err.statusCode).send(err.body);
    const code = typeof err.code === 'string' ? err.code : '';
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      const field = err.statusCode === 415 ? 'Content-Type' : 'body';
      const body: ProviderErrorBody = {
        statusCode: err.statusCode,
        error: STATUS_CODES[err.statusCode] ?? 'Error',
        code: 'invalid_request',
        message: `${field}: ${err.message}`,
        issues: [{ field, message: err.message }],
      };
      return reply.code(err.statusCode).send(body);
    }
    // A value PostgreSQL refuses as data (class 22: a NUL in text, say) is the client's input.
    if (/^22/.test(code)) {
      const body = ProviderError.field(400, 'invalid_request', 'body', 'holds a value that cannot be stored').body;
      return reply.code(400).send(body);
    }
    if (databaseUnavailable(err)) {
      request.log.warn({ code }, `database unavailable: ${err.message}`);
      reply.header('retry-after', '1');
      return reply
        .code(503)
        .send({ statusCode: 503, error: 'Service Unavailable', code: 'unavailable', message: 'the provider cannot reach its database; retry later' });
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'the provider failed; retry later' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ statusCode: 404, error: 'Not Found', code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
}

/** JSON bodies, an empty one as none (capture, void and refund need none); a parse error never echoes the body, which may hold a card number. */
function parseJson(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text as string));
    } catch {
      done(Object.assign(new Error('is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });
}

function healthRoutes(app: FastifyInstance, pool: Pool): void {
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    try {
      await pool.query('SELECT 1');
      return { status: 'ok' };
    } catch (err) {
      return reply.code(503).send({ status: 'error', database: (err as Error).message });
    }
  });
}

/** Starts the provider: its tables (created if missing), then its HTTP API. */
export async function startPaymentProvider(options: PaymentProviderOptions): Promise<PaymentProvider> {
  const host = options.host ?? '127.0.0.1';
  const pool = createPool(options.databaseUrl);
  const app = Fastify({ logger: { level: options.logLevel ?? 'info', ...(options.logStream ? { stream: options.logStream } : {}) }, bodyLimit: 64 * 1024 });
  // An idle connection the database dropped: the pool replaces it; a query on it fails on its own.
  pool.on('error', (err) => app.log.warn({ err }, 'idle database connection lost'));
  try {
    await ensureSchema(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new ProviderStartError('databaseUrl', `cannot prepare the provider's tables: ${(err as Error).message}`, { cause: err });
  }

  const held = new HeldAnswers();
  answerErrors(app);
  parseJson(app);
  healthRoutes(app, pool);
  tokensRoutes(app, pool);
  authorizationsRoutes(app, {
    pool,
    service: new AuthorizationsService(pool),
    held,
    hangMs: options.hangMs ?? 30_000,
    requireApiKey: requireApiKey(options.apiKey),
  });
  app.addHook('preClose', async () => held.releaseAll());
  app.addHook('onClose', async () => pool.end());

  try {
    await app.listen({ host, port: options.port ?? 4010 });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw new ProviderStartError('port', `cannot listen on ${host}:${options.port ?? 4010}: ${(err as Error).message}`, { cause: err });
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () => app.close(),
  };
}
