import { createParamDecorator, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { sessionIdOf } from './session-cookie';
import { NO_SESSION, SessionsService } from './sessions.service';

declare module 'fastify' {
  interface FastifyRequest {
    /** The email of the shopper session the request's cookie opened (set by ShopperSessionGuard). */
    shopperEmail?: string;
  }
}

/** Admits a request whose `shop_session` cookie opens a session that has not expired; else 401. */
@Injectable()
export class ShopperSessionGuard implements CanActivate {
  constructor(private readonly sessions: SessionsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const session = await this.sessions.current(sessionIdOf(request));
    if (!session) throw new UnauthorizedException(NO_SESSION);
    request.shopperEmail = session.email;
    return true;
  }
}

/** The signed-in shopper's email, in a handler behind ShopperSessionGuard. */
export const ShopperEmail = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const email = context.switchToHttp().getRequest<FastifyRequest>().shopperEmail;
  if (!email) throw new Error('ShopperEmail needs ShopperSessionGuard on the route');
  return email;
});
