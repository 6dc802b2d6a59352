import { Body, Controller, Delete, Get, Header, HttpCode, Inject, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import {
  SIGN_IN_LINK_SENT_MESSAGE,
  signInLinkRequestSchema,
  signInRequestSchema,
  type SessionView,
  type SignInLinkRequest,
  type SignInRequest,
} from '@shop/contracts';
import { ZodValidationPipe } from '@shop/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clearSessionCookie, sessionIdOf, setSessionCookie } from './session-cookie';
import { NO_SESSION, SESSION_SETTINGS, SessionsService, type SessionSettings } from './sessions.service';
import { EmailRateLimit, perClientLimit } from './sign-in-limits';

/** A session names its shopper's email: no cache may keep it. */
const SESSION_CACHE_CONTROL = 'no-store';

@Controller('api/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly emailLimit: EmailRateLimit,
    @Inject(SESSION_SETTINGS) private readonly settings: SessionSettings,
  ) {}

  /** "Email me a link to my orders": 202 with the same body for every address, known or not. */
  @Post('link')
  @HttpCode(202)
  @RouteConfig(perClientLimit('SIGN_IN_LINKS_PER_CLIENT', 'sign-in links'))
  async requestLink(
    @Body(new ZodValidationPipe(signInLinkRequestSchema)) request: SignInLinkRequest,
    @Req() httpRequest: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ message: string }> {
    await this.emailLimit.admit(httpRequest, reply, request.email);
    await this.sessions.requestLink(request.email);
    return { message: SIGN_IN_LINK_SENT_MESSAGE };
  }

  /** Follows a link: 201 with the session and its cookie, or one 401 for every token that opens none. */
  @Post()
  @Header('Cache-Control', SESSION_CACHE_CONTROL)
  @RouteConfig(perClientLimit('SIGN_INS_PER_CLIENT', 'sign-ins'))
  async signIn(
    @Body(new ZodValidationPipe(signInRequestSchema)) request: SignInRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionView> {
    const { view, sessionId } = await this.sessions.signIn(request.token);
    setSessionCookie(reply, sessionId, this.settings.sessionTtlSeconds, this.settings.cookieSecure);
    return view;
  }

  @Get('current')
  @Header('Cache-Control', SESSION_CACHE_CONTROL)
  async current(@Req() request: FastifyRequest): Promise<SessionView> {
    const session = await this.sessions.current(sessionIdOf(request));
    if (!session) throw new UnauthorizedException(NO_SESSION);
    return session;
  }

  /** Signs out: the session is deleted (the old cookie opens nothing after) and the cookie cleared. */
  @Delete('current')
  @HttpCode(204)
  async signOut(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.sessions.signOut(sessionIdOf(request));
    clearSessionCookie(reply, this.settings.cookieSecure);
  }
}
