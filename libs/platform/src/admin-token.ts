import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** The operators' credential; every service that has admin endpoints reads it under this name, with these rules. */
export const adminTokenEnv = {
  /** Bearer token for the admin endpoints (restocking, the operations status); without it they answer 403. */
  ADMIN_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    // What a `Bearer` header can carry (RFC 6750 b64token); any other token could never be presented.
    .regex(/^[A-Za-z0-9\-._~+/]+=*$/, 'may hold only letters, digits and - . _ ~ + / (then = padding)')
    .optional(),
};

export const ADMIN_TOKEN = Symbol('ADMIN_TOKEN');

// RFC 6750 §2.1: the scheme (case-insensitive, RFC 7235), spaces, a b64token; nothing else.
const BEARER_CREDENTIALS = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** The token presented as `Authorization: Bearer <token>`, or null (a token in the query string never counts). */
export function bearerToken(authorization: string | undefined): string | null {
  return BEARER_CREDENTIALS.exec(authorization ?? '')?.[1] ?? null;
}

// Compared as SHA-256 digests: equal lengths for timingSafeEqual, and no early exit that tells the token's length.
const digest = (token: string) => createHash('sha256').update(token).digest();

/** Admin endpoints need `Authorization: Bearer <ADMIN_TOKEN>`; without a configured token they are off. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer | null;

  constructor(@Inject(ADMIN_TOKEN) token: string | undefined) {
    this.expected = token ? digest(token) : null;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) throw new ForbiddenException('this admin endpoint is off: ADMIN_TOKEN is not configured');
    const presented = bearerToken(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization);
    if (presented === null || !timingSafeEqual(digest(presented), this.expected)) {
      throw new UnauthorizedException('Authorization: a valid admin token is required, sent as "Authorization: Bearer <token>"');
    }
    return true;
  }
}
