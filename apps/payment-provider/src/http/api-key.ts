import { PROVIDER_IDEMPOTENCY_HEADER } from '@shop/contracts';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ProviderError } from './provider-error';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** An onRequest hook refusing, with a 401, every call without `Authorization: Bearer <apiKey>`. */
export function requireApiKey(apiKey: string): (request: FastifyRequest) => Promise<void> {
  const expected = digest(apiKey);
  return async (request) => {
    const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
    // Compared as digests: equal lengths, constant time.
    if (!match || !timingSafeEqual(digest(match[1]), expected)) {
      throw ProviderError.field(401, 'unauthorized', 'Authorization', 'must be "Bearer <secret key>" with the shop\'s secret key');
    }
  };
}

const idempotencyKeySchema = z
  .string({ error: 'is required on every call that moves money' })
  .trim()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters');

/** The Idempotency-Key of a money-moving call, or a 400 naming the header. */
export function idempotencyKeyOf(request: FastifyRequest): string {
  const parsed = idempotencyKeySchema.safeParse(request.headers[PROVIDER_IDEMPOTENCY_HEADER]);
  if (!parsed.success) throw ProviderError.field(400, 'idempotency_key_missing', 'Idempotency-Key', parsed.error.issues[0].message);
  return parsed.data;
}
