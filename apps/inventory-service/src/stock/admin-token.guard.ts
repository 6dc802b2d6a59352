import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';

export const ADMIN_TOKEN = Symbol('ADMIN_TOKEN');

/** Admin endpoints need `Authorization: Bearer <ADMIN_TOKEN>`; without a configured token they are off. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(ADMIN_TOKEN) private readonly token: string | undefined) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.token) throw new ForbiddenException('restocking is disabled: ADMIN_TOKEN is not configured');
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const presented = Buffer.from(header.replace(/^Bearer\s+/i, ''));
    const expected = Buffer.from(this.token);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new UnauthorizedException('Authorization: a valid admin bearer token is required');
    }
    return true;
  }
}
