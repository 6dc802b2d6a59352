import fastifyCookie from '@fastify/cookie';
import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import { HttpException, Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ApiErrorBody } from '@shop/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The sign-in endpoints' limits. They are counted in this process's memory (the plugin's local
 * store), so they hold per replica: with two replicas a client gets up to twice as many.
 */
export interface SignInLimits {
  /** SIGN_IN_LINKS_PER_CLIENT */
  linksPerClient: number;
  /** SIGN_IN_LINKS_PER_EMAIL */
  linksPerEmail: number;
  /** SIGN_INS_PER_CLIENT */
  signInsPerClient: number;
  /** SIGN_IN_RATE_WINDOW_S */
  windowSeconds: number;
}

export const SIGN_IN_LIMITS = Symbol('SIGN_IN_LIMITS');

/** Client addresses and emails counted at once per replica (the plugin's default is 5,000); about 100 bytes each. */
export const RATE_LIMIT_KEYS_KEPT = 100_000;

declare module 'fastify' {
  interface FastifyInstance {
    /** Read by the routes' rate-limit configs, which are declared before any configuration exists. */
    signInLimits: SignInLimits;
  }
}

/**
 * order-service's Fastify plugins: cookies (the shopper session), and rate limits that only the
 * routes which ask for one get. @fastify/cookie is pinned to 11.1.0: 11.1.5 loads the ESM-only
 * `cookie` 2 with a dynamic import, which Jest's CommonJS runtime refuses.
 */
export function shopperPlugins(limits: SignInLimits): (app: NestFastifyApplication) => Promise<void> {
  return async (app) => {
    await app.register(fastifyCookie);
    // Room for many keys: the store forgets the least recently used past it, so a small one would let
    // a flood of other addresses push out the count of the email being mail-bombed.
    await app.register(rateLimit, { global: false, cache: RATE_LIMIT_KEYS_KEPT });
    app.getHttpAdapter().getInstance().decorate('signInLimits', limits);
  };
}

const windowOf = (seconds: number) => (seconds % 60 === 0 ? `${seconds / 60} minutes` : `${seconds} seconds`);

/** A 429 in the API's error shape; an HttpException, so Nest answers it as it is, whether thrown in a hook or a handler. */
function tooManyRequests(message: string): HttpException {
  const body: ApiErrorBody = { statusCode: 429, error: 'Too Many Requests', message };
  return new HttpException(body, 429);
}

/**
 * A route's limit per client address (`request.ip`: X-Forwarded-For counts only from the proxies
 * HTTP_TRUSTED_PROXIES names), for `@RouteConfig(perClientLimit(...))`. The 429 names the variable.
 */
export function perClientLimit(variable: 'SIGN_IN_LINKS_PER_CLIENT' | 'SIGN_INS_PER_CLIENT', what: string): { rateLimit: RateLimitOptions } {
  const maxOf = (limits: SignInLimits) => (variable === 'SIGN_IN_LINKS_PER_CLIENT' ? limits.linksPerClient : limits.signInsPerClient);
  return {
    rateLimit: {
      max: (request) => maxOf(request.server.signInLimits),
      timeWindow: (request) => request.server.signInLimits.windowSeconds * 1000,
      // The plugin's own key: request.ip, with an IPv6 address counted by its /64 (one host holds a whole /64).
      errorResponseBuilder: (request, context) =>
        tooManyRequests(
          `at most ${context.max} ${what} per ${windowOf(request.server.signInLimits.windowSeconds)} from one client (${variable}); retry in ${context.after}`,
        ),
    },
  };
}

/**
 * The limit of link requests per email address, from any client. The body is parsed after the
 * plugin's onRequest hook, so the controller asks this once the body is valid. The answer is the
 * same for every address: it says nothing about whether one has orders.
 */
@Injectable()
export class EmailRateLimit {
  private check: ReturnType<FastifyInstance['createRateLimit']> | null = null;
  private readonly emailOf = new WeakMap<FastifyRequest, string>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(SIGN_IN_LIMITS) private readonly limits: SignInLimits,
  ) {}

  /** Counts one link request for `email`; past SIGN_IN_LINKS_PER_EMAIL it throws the 429 (with Retry-After). */
  async admit(request: FastifyRequest, reply: FastifyReply, email: string): Promise<void> {
    // Created on first use: the plugin's decorator exists only once the app has registered it.
    this.check ??= this.adapterHost.httpAdapter.getInstance<FastifyInstance>().createRateLimit({
      max: this.limits.linksPerEmail,
      timeWindow: this.limits.windowSeconds * 1000,
      keyGenerator: (counted) => `email:${this.emailOf.get(counted)}`,
    });
    this.emailOf.set(request, email);
    const limit = await this.check(request);
    if (limit.isAllowed || !limit.isExceeded) return;
    reply.header('Retry-After', String(limit.ttlInSeconds));
    throw tooManyRequests(
      `at most ${limit.max} sign-in links per ${windowOf(this.limits.windowSeconds)} for one email address (SIGN_IN_LINKS_PER_EMAIL); retry in ${limit.ttlInSeconds} seconds`,
    );
  }
}
