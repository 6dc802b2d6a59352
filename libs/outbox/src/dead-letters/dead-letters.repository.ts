import type { DeadLetterMessage } from '@shop/messaging';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { deadLetterFingerprint } from './dead-letter-fingerprint';

export type DeadLetterStatus = 'open' | 'replayed' | 'discarded';

/** A kept dead letter, as operators see it. */
export interface DeadLetter {
  id: string;
  queue: string;
  messageId: string;
  replayCount: number;
  replayOf: string | null;
  routingKey: string;
  messageType: string | null;
  headers: Record<string, unknown>;
  body: string;
  payload: unknown;
  reason: string;
  errorClass: string;
  lastError: string | null;
  attempts: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
  fingerprint: string;
  takenAt: Date;
  status: DeadLetterStatus;
  resolvedAt: Date | null;
  resolvedBy: string | null;
}

/** The open dead letters of one cause. */
export interface DeadLetterGroup {
  fingerprint: string;
  queue: string;
  errorClass: string;
  /** The reason of the most recent one. */
  reason: string;
  count: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
}

const COLUMNS = `id, queue, message_id AS "messageId", replay_count AS "replayCount", replay_of AS "replayOf",
  routing_key AS "routingKey", message_type AS "messageType", headers, body, payload, reason,
  error_class AS "errorClass", last_error AS "lastError", attempts, first_failed_at AS "firstFailedAt",
  last_failed_at AS "lastFailedAt", fingerprint, taken_at AS "takenAt", status, resolved_at AS "resolvedAt",
  resolved_by AS "resolvedBy"`;

function jsonOrNull(text: string): string | null {
  try {
    JSON.parse(text);
    return text;
  } catch {
    return null;
  }
}

/** Every statement on the `dead_letters` table. */
export class DeadLettersRepository {
  /**
   * Keeps a dead letter; false when it was kept before (the same message id and replay count in
   * the same queue: a copy the dead-letter queue delivered again after a crash).
   */
  async insert(manager: EntityManager, message: DeadLetterMessage): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO dead_letters (id, queue, message_id, replay_count, replay_of, routing_key, message_type, headers, body, payload,
         reason, error_class, last_error, attempts, first_failed_at, last_failed_at, fingerprint)
       VALUES ($1, $2, $3, $4,
         (SELECT id FROM dead_letters WHERE id::text = $5),
         $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14, $15, $16, $17)
       ON CONFLICT (queue, message_id, replay_count) DO NOTHING RETURNING id`,
      [
        randomUUID(),
        message.queue,
        message.messageId,
        message.replayCount,
        message.replayOf ?? '',
        message.routingKey,
        message.type,
        JSON.stringify(message.headers),
        message.body,
        jsonOrNull(message.body),
        message.reason,
        message.errorClass,
        message.lastError,
        message.attempts,
        message.firstFailedAt,
        message.deadLetteredAt,
        deadLetterFingerprint(message.queue, message.errorClass, message.reason),
      ],
    );
    return rows.length === 1;
  }

  /** The open dead letters grouped by cause, the largest group first. */
  groups(manager: EntityManager): Promise<DeadLetterGroup[]> {
    return manager.query(
      `SELECT fingerprint, min(queue) AS queue, min(error_class) AS "errorClass",
         (array_agg(reason ORDER BY last_failed_at DESC))[1] AS reason, count(*)::int AS count,
         min(first_failed_at) AS "firstFailedAt", max(last_failed_at) AS "lastFailedAt"
       FROM dead_letters WHERE status = 'open' GROUP BY fingerprint ORDER BY count(*) DESC, max(last_failed_at) DESC`,
    );
  }

  /** Dead letters, newest first, filtered by status and group. */
  list(manager: EntityManager, filter: { status?: DeadLetterStatus; fingerprint?: string; orderId?: string; limit: number }): Promise<DeadLetter[]> {
    return manager.query(
      `SELECT ${COLUMNS} FROM dead_letters
       WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR fingerprint = $2) AND ($4::text IS NULL OR payload->>'orderId' = $4)
       ORDER BY last_failed_at DESC, id LIMIT $3`,
      [filter.status ?? null, filter.fingerprint ?? null, filter.limit, filter.orderId ?? null],
    );
  }

  async setSentMessageId(manager: EntityManager, id: string, messageId: string | null): Promise<void> {
    await manager.query(`UPDATE dead_letters SET sent_message_id = $2 WHERE id = $1`, [id, messageId]);
  }

  /**
   * What became of a resolved dead letter's message: when its consumer's inbox recorded the id it was
   * sent under (the inbox's consumer is the queue), and the dead letter it became if it failed again.
   */
  async replayTrace(manager: EntityManager, id: string): Promise<{ processedAt: Date | null; failedAgainAs: string | null }> {
    const [row]: { processedAt: Date | null; failedAgainAs: string | null }[] = await manager.query(
      `SELECT (SELECT processed_at FROM inbox i WHERE i.consumer = d.queue AND i.message_id = d.sent_message_id) AS "processedAt",
         (SELECT later.id FROM dead_letters later WHERE later.replay_of = COALESCE(d.replay_of, d.id) AND later.replay_count = d.replay_count + 1) AS "failedAgainAs"
       FROM dead_letters d WHERE d.id = $1`,
      [id],
    );
    return row ?? { processedAt: null, failedAgainAs: null };
  }

  /** Dead letters taken since `since` that are replays of these first failures: a group replay's failures. */
  async failedAgainSince(manager: EntityManager, firstFailures: string[], since: Date): Promise<number> {
    const [row]: { count: number }[] = await manager.query(
      `SELECT count(*)::int AS count FROM dead_letters WHERE replay_of = ANY($1::uuid[]) AND taken_at >= $2`,
      [firstFailures, since],
    );
    return row.count;
  }

  async find(manager: EntityManager, id: string): Promise<DeadLetter | null> {
    const [row]: DeadLetter[] = await manager.query(`SELECT ${COLUMNS} FROM dead_letters WHERE id = $1`, [id]);
    return row ?? null;
  }

  /** Locks an open dead letter for the caller's transaction; null when it is not open (any more). */
  async lockOpen(manager: EntityManager, id: string): Promise<DeadLetter | null> {
    const [row]: DeadLetter[] = await manager.query(`SELECT ${COLUMNS} FROM dead_letters WHERE id = $1 AND status = 'open' FOR UPDATE`, [id]);
    return row ?? null;
  }

  async resolve(manager: EntityManager, id: string, status: Exclude<DeadLetterStatus, 'open'>, by: string): Promise<void> {
    await manager.query(`UPDATE dead_letters SET status = $2, resolved_at = now(), resolved_by = $3 WHERE id = $1`, [id, status, by]);
  }

  /** Open dead letters by queue, for the metric. */
  openByQueue(manager: EntityManager): Promise<{ queue: string; count: number }[]> {
    return manager.query(`SELECT queue, count(*)::int AS count FROM dead_letters WHERE status = 'open' GROUP BY queue`);
  }

  /** Deletes up to `limit` resolved dead letters older than `hours` (never an open one); returns how many. */
  async purgeResolved(manager: EntityManager, hours: number, limit: number): Promise<number> {
    // A failed replay points at its first failure: those go first, then the rest.
    const [, deleted]: [unknown, number] = await manager.query(
      `DELETE FROM dead_letters WHERE id IN (
         SELECT id FROM dead_letters d WHERE status <> 'open' AND resolved_at < now() - make_interval(hours => $1)
           AND NOT EXISTS (SELECT 1 FROM dead_letters later WHERE later.replay_of = d.id)
         LIMIT $2
       )`,
      [hours, limit],
    );
    return deleted;
  }
}
