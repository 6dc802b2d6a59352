import { authorizeRequestSchema } from '@shop/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { z } from 'zod';
import { idempotencyKeyOf } from '../http/api-key';
import type { HeldAnswers } from '../http/held-answers';
import { parseOr400, ProviderError } from '../http/provider-error';
import type { CallOutcome } from '../idempotency/idempotent-call';
import { AUTHORIZATION_ACTIONS } from './authorization-policy';
import { findAuthorization, listAuthorizations, listLedger } from './authorizations.repository';
import type { AuthorizationsService } from './authorizations.service';

const pageQuerySchema = z.strictObject({
  reference: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});

/** Capture, void and refund take the whole amount: no body, or an empty object. */
const actionBodySchema = z.strictObject({}).optional();

const AUTHORIZATION_ID = /^auth_[A-Za-z0-9_-]{1,100}$/;

function authorizationIdOf(request: FastifyRequest): string {
  const { id } = request.params as { id: string };
  if (!AUTHORIZATION_ID.test(id)) throw ProviderError.field(404, 'not_found', 'id', `no authorization ${JSON.stringify(id.slice(0, 100))}`);
  return id;
}

function send(reply: FastifyReply, outcome: CallOutcome): FastifyReply {
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(outcome.status).send(outcome.body);
}

export interface AuthorizationsRoutesOptions {
  pool: Pool;
  service: AuthorizationsService;
  held: HeldAnswers;
  hangMs: number;
  requireApiKey: (request: FastifyRequest) => Promise<void>;
}

export function authorizationsRoutes(app: FastifyInstance, { pool, service, held, hangMs, requireApiKey }: AuthorizationsRoutesOptions): void {
  const secret = { onRequest: requireApiKey };

  app.post('/v1/authorizations', secret, async (request, reply) => {
    const key = idempotencyKeyOf(request);
    const body = parseOr400(authorizeRequestSchema, request.body);
    if (!/^[A-Za-z]{3}$/.test(body.currency)) throw ProviderError.field(400, 'invalid_request', 'currency', 'must be a three-letter code such as "USD"');
    const outcome = await service.authorize(key, { ...body, currency: body.currency.toUpperCase() });
    // Committed already; only the answer is late, with no transaction open while it waits.
    if (outcome.hangs) await held.hold(hangMs);
    return send(reply, outcome);
  });

  for (const action of AUTHORIZATION_ACTIONS) {
    app.post(`/v1/authorizations/:id/${action}`, secret, async (request, reply) => {
      const id = authorizationIdOf(request);
      const key = idempotencyKeyOf(request);
      parseOr400(actionBodySchema, request.body);
      return send(reply, await service.act(action, id, key));
    });
  }

  app.get('/v1/authorizations', secret, async (request) => listAuthorizations(pool, parseOr400(pageQuerySchema, request.query)));

  app.get('/v1/authorizations/:id', secret, async (request) => {
    const id = authorizationIdOf(request);
    const authorization = await findAuthorization(pool, id);
    if (!authorization) throw ProviderError.field(404, 'not_found', 'id', `no authorization ${id}`);
    return authorization;
  });

  app.get('/v1/ledger', secret, async (request) => listLedger(pool, parseOr400(pageQuerySchema, request.query)));
}
