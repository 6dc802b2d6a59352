import { tokenizeCardRequestSchema, type TokenView } from '@shop/contracts';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Pool } from 'pg';
import { parseOr400, ProviderError } from '../http/provider-error';
import { behaviourOf, brandOf, expiredField, passesLuhn } from './card';

/** A shopper's browser calls this from the shop's page, on another origin. */
function allowAnyOrigin(reply: FastifyReply): void {
  reply.header('access-control-allow-origin', '*');
}

/** POST /v1/tokens: a card becomes a token the shop can use; the number and CVC are never stored or logged. */
export function tokensRoutes(app: FastifyInstance, pool: Pool): void {
  app.options('/v1/tokens', async (_request, reply) => {
    allowAnyOrigin(reply);
    reply.header('access-control-allow-methods', 'POST, OPTIONS');
    reply.header('access-control-allow-headers', 'content-type');
    reply.header('access-control-max-age', '600');
    return reply.code(204).send();
  });

  app.post('/v1/tokens', { onRequest: async (_request, reply) => allowAnyOrigin(reply) }, async (request, reply) => {
    const { card } = parseOr400(tokenizeCardRequestSchema, request.body);
    if (!passesLuhn(card.number)) {
      throw ProviderError.field(422, 'invalid_card_number', 'card.number', 'is not a valid card number (it fails the Luhn check); check the digits');
    }
    const expired = expiredField(card.expYear, card.expMonth, new Date());
    if (expired) throw ProviderError.field(422, 'expired_card', expired, 'the card has expired; check the expiry date');
    const view: TokenView = { token: `tok_${randomBytes(16).toString('base64url')}`, brand: brandOf(card.number), last4: card.number.slice(-4) };
    await pool.query(`INSERT INTO tokens (token, behaviour, brand, last4, exp_month, exp_year) VALUES ($1, $2, $3, $4, $5, $6)`, [
      view.token,
      behaviourOf(card.number),
      view.brand,
      view.last4,
      card.expMonth,
      card.expYear,
    ]);
    return reply.code(201).send(view);
  });
}
