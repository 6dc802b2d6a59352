import { DynamicModule, Logger, Module } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { OrderServiceConfig } from '../config';
import { ShopperSessionGuard } from './shopper-session.guard';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SESSION_SETTINGS, SessionsService, type SessionSettings } from './sessions.service';
import { EmailRateLimit, SIGN_IN_LIMITS, type SignInLimits } from './sign-in-limits';

/** The sign-in limits of this configuration (also given to the rate-limit plugin in app.ts). */
export function signInLimitsOf(config: OrderServiceConfig): SignInLimits {
  return {
    linksPerClient: config.SIGN_IN_LINKS_PER_CLIENT,
    linksPerEmail: config.SIGN_IN_LINKS_PER_EMAIL,
    signInsPerClient: config.SIGN_INS_PER_CLIENT,
    windowSeconds: config.SIGN_IN_RATE_WINDOW_S,
  };
}

@Module({})
export class SessionsModule {
  /**
   * Sign-in links and shopper sessions. Global, so that the orders module can guard its listing with
   * ShopperSessionGuard.
   */
  static forRoot(config: OrderServiceConfig): DynamicModule {
    const settings: SessionSettings = {
      secret: config.SIGN_IN_SECRET ?? generatedSecret(),
      linkTtlSeconds: config.SIGN_IN_LINK_TTL_S,
      sessionTtlSeconds: config.SESSION_TTL_HOURS * 3600,
      cookieSecure: config.SESSION_COOKIE_SECURE,
    };
    return {
      module: SessionsModule,
      global: true,
      controllers: [SessionsController],
      providers: [
        SessionsService,
        SessionsRepository,
        EmailRateLimit,
        ShopperSessionGuard,
        { provide: SESSION_SETTINGS, useValue: settings },
        { provide: SIGN_IN_LIMITS, useValue: signInLimitsOf(config) },
      ],
      exports: [SessionsService, ShopperSessionGuard],
    };
  }
}

/** Keeps "starts without any configuration" true; every replica needs the same secret, so it is said loudly. */
function generatedSecret(): string {
  new Logger(SessionsModule.name).warn(
    'SIGN_IN_SECRET is not set: using a random one, so sign-in links work only on this instance and only until it restarts; set SIGN_IN_SECRET (32 characters or more) on every replica',
  );
  return randomBytes(32).toString('base64url');
}
