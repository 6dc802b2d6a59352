import { Inject, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { event, type ApiErrorBody, type SessionView } from '@shop/contracts';
import { randomUUID } from 'node:crypto';
import { newSessionId, sessionHash, type SessionCookieSecure } from './session-cookie';
import { SessionsRepository } from './sessions.repository';
import { signSignInToken, verifySignInToken } from './sign-in-token';

export interface SessionSettings {
  /** SIGN_IN_SECRET, or one generated at start. */
  secret: string;
  /** SIGN_IN_LINK_TTL_S */
  linkTtlSeconds: number;
  /** SESSION_TTL_HOURS, in seconds. */
  sessionTtlSeconds: number;
  /** SESSION_COOKIE_SECURE */
  cookieSecure: SessionCookieSecure;
}

export const SESSION_SETTINGS = Symbol('SESSION_SETTINGS');

/** The one answer to any token that opens no session: it does not say which check failed (the log does). */
export const REFUSED_SIGN_IN: ApiErrorBody = {
  statusCode: 401,
  error: 'Unauthorized',
  message: 'this sign-in link was already used or has expired; ask for a new one',
};

export const NO_SESSION: ApiErrorBody = {
  statusCode: 401,
  error: 'Unauthorized',
  message: 'sign in first: ask for a link to your orders (POST /api/sessions/link)',
};

/** A session just opened: what to answer, and the cookie's value. */
export interface OpenedSession {
  view: SessionView;
  sessionId: string;
}

@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);

  constructor(
    private readonly sessions: SessionsRepository,
    @Inject(SESSION_SETTINGS) private readonly settings: SessionSettings,
  ) {}

  /**
   * Mints a link for `email` and queues its email (`signin.requested`) in one transaction. It never
   * looks at orders, so the work and the answer are the same whether or not the address has any.
   */
  async requestLink(email: string): Promise<void> {
    const linkId = randomUUID();
    const now = new Date();
    // Whole seconds, as the token carries the expiry: the row and the token agree to the second.
    const expiresAt = new Date((Math.floor(now.getTime() / 1000) + this.settings.linkTtlSeconds) * 1000);
    const token = signSignInToken(linkId, expiresAt, this.settings.secret);
    const requested = event(
      'signin.requested',
      { schemaVersion: 1, linkId, email, token, expiresAt: expiresAt.toISOString(), requestedAt: now.toISOString() },
      { correlationId: linkId },
    );
    await this.sessions.insertLink({ id: linkId, email, expiresAt }, requested);
  }

  /** Spends a link's token for a new session; any refusal is the same 401. */
  async signIn(token: string): Promise<OpenedSession> {
    const checked = verifySignInToken(token, this.settings.secret, new Date());
    if (!checked.ok) {
      this.logger.warn(`sign-in refused: the token is ${checked.reason}`);
      throw new UnauthorizedException(REFUSED_SIGN_IN);
    }
    const sessionId = newSessionId();
    const session = await this.sessions.spendLinkForSession(checked.linkId, sessionHash(sessionId), this.settings.sessionTtlSeconds);
    if (!session) {
      this.logger.warn(`sign-in refused: link ${checked.linkId} was already used, has expired or does not exist`);
      throw new UnauthorizedException(REFUSED_SIGN_IN);
    }
    return { view: { email: session.email, expiresAt: session.expiresAt.toISOString() }, sessionId };
  }

  /** The session this cookie value opens, or null (none, unknown, expired). */
  async current(sessionId: string | null): Promise<SessionView | null> {
    if (!sessionId) return null;
    const session = await this.sessions.findSession(sessionHash(sessionId));
    return session && { email: session.email, expiresAt: session.expiresAt.toISOString() };
  }

  async signOut(sessionId: string | null): Promise<void> {
    if (sessionId) await this.sessions.deleteSession(sessionHash(sessionId));
  }
}
