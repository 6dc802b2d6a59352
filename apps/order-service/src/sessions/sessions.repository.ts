import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { OutboxService, type OutboxEvent } from '@shop/outbox';
import { DataSource } from 'typeorm';

/** The SQL of sign-in links and shopper sessions. */
@Injectable()
export class SessionsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * Stores a sign-in link and its `signin.requested` outbox row in one statement (one transaction),
   * and deletes the links that expired more than a day ago, so the table stays small.
   */
  async insertLink(link: { id: string; email: string; expiresAt: Date }, requested: OutboxEvent): Promise<void> {
    await this.outbox.addInStatement({
      name: 'insert-sign-in-link',
      event: requested,
      text: (insertOutboxRow) => `WITH purged AS (
         DELETE FROM sign_in_links WHERE expires_at < now() - interval '1 day'
       ),
       link AS (
         INSERT INTO sign_in_links (id, email, expires_at) VALUES ($1, $2, $3) RETURNING id
       ),
       queued AS (${insertOutboxRow('link')})
       SELECT 1`,
      values: [link.id, link.email, link.expiresAt],
    });
  }

  /**
   * Spends the link and opens a session in one statement: the link counts only if it is unused and
   * unexpired at this instant, so of two requests racing with one link (on any replicas) one wins.
   * Returns the session's email and expiry, or null when the link was used, expired or never existed.
   * Sessions that expired more than a day ago are deleted on the way, so the table stays small.
   */
  async spendLinkForSession(linkId: string, tokenHash: Buffer, sessionTtlSeconds: number): Promise<{ email: string; expiresAt: Date } | null> {
    const rows: { email: string; expires_at: Date }[] = await this.dataSource.query(
      `WITH purged AS (
         DELETE FROM shopper_sessions WHERE expires_at < now() - interval '1 day'
       ),
       spent AS (
         UPDATE sign_in_links SET used_at = now() WHERE id = $1 AND used_at IS NULL AND expires_at > now() RETURNING email
       )
       INSERT INTO shopper_sessions (token_hash, email, expires_at)
       SELECT $2, email, now() + make_interval(secs => $3) FROM spent
       RETURNING email, expires_at`,
      [linkId, tokenHash, sessionTtlSeconds],
    );
    return rows[0] ? { email: rows[0].email, expiresAt: rows[0].expires_at } : null;
  }

  /** The session with this hash, if it has not expired. */
  async findSession(tokenHash: Buffer): Promise<{ email: string; expiresAt: Date } | null> {
    const rows: { email: string; expires_at: Date }[] = await this.dataSource.query(
      `SELECT email, expires_at FROM shopper_sessions WHERE token_hash = $1 AND expires_at > now()`,
      [tokenHash],
    );
    return rows[0] ? { email: rows[0].email, expiresAt: rows[0].expires_at } : null;
  }

  /** Ends a session (and drops this email's sessions that expired already). */
  async deleteSession(tokenHash: Buffer): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM shopper_sessions WHERE token_hash = $1
          OR (expires_at < now() AND email = (SELECT email FROM shopper_sessions WHERE token_hash = $1))`,
      [tokenHash],
    );
  }
}
