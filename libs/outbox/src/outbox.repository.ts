import type { PoolClient } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/** An outbox row as stored: what the relay publishes, with the message id it publishes it under. */
export interface OutboxRow {
  id: string;
  exchange: string;
  routing_key: string;
  payload: unknown;
  headers: Record<string, string>;
}

/** A claimed row, with the time it was written (the message's timestamp) and the attempts the broker refused so far. */
export interface ClaimedRow extends OutboxRow {
  created_at: Date;
  refusals: number;
  /** Published under this id and type instead of the row's id and routing key (an operator's replay). */
  message_id: string | null;
  message_type: string | null;
}

/** A message sent again by an operator: its own id and type, published to `exchange` with `routing_key`. */
export interface ReplayRow extends OutboxRow {
  message_id: string;
  message_type: string;
}

/** One outbox row of an operation (by its correlation id), as its timeline shows it. */
export interface CorrelatedRow {
  id: string;
  exchange: string;
  routingKey: string;
  /** The message type when it is not the routing key (a replay is routed by its queue's name). */
  messageType: string | null;
  createdAt: Date;
  publishedAt: Date | null;
  attempts: number;
  lastError: string | null;
  parkedAt: Date | null;
  /** The row's W3C `traceparent` header: the trace of the operation that wrote it. */
  traceparent: string | null;
}

/** A row the broker refused: tried again after `retryInMs`, or parked when that is null. */
export interface RowFailure {
  id: string;
  error: string;
  retryInMs: number | null;
}

/** A parked row, as operators see it. */
export interface ParkedRow extends OutboxRow {
  created_at: Date;
  parked_at: Date;
  /** Every attempt, those an outage failed included. */
  publish_attempts: number;
  /** Attempts the broker refused: what parked it. */
  refusals: number;
  last_error: string | null;
}

export interface OutboxBacklog {
  /** Rows not yet published, parked ones left out. */
  backlog: number;
  /** Age of the oldest of them, in seconds; null when there is none. */
  oldestAgeSeconds: number | null;
  /** Rows parked: never published until an operator retries them. */
  parked: number;
}

/**
 * Retention's statements, $1 the window in hours and $2 the rows one deletes at most: each finds its
 * rows through an index on their time (outbox_published_idx, inbox_processed_idx), so it reads what
 * it deletes, not the week of rows the table keeps. The inbox's rows, which have no single-column
 * key, are deleted by their ctid from an array: `ctid IN (subquery)` was planned as a hash join over
 * a sequential scan of the whole inbox; `ctid = ANY(ARRAY(...))` is a TID scan of those rows only.
 */
export const RETENTION_STATEMENTS = {
  outbox: `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_at < now() - make_interval(hours => $1) LIMIT $2)`,
  inbox: `DELETE FROM inbox WHERE ctid = ANY(ARRAY(SELECT ctid FROM inbox WHERE processed_at < now() - make_interval(hours => $1) LIMIT $2))`,
};

/** The columns an outbox row is inserted with, in the order of `outboxRowValues`. */
const ROW_COLUMNS = 'id, exchange, routing_key, payload, headers';

/**
 * Every statement on the `outbox` and `inbox` tables, and nothing else (after Spring Modulith's
 * EventPublicationRepository): store within the caller's transaction or statement, claim the
 * unpublished, mark published or failed (or parked), the backlog, the parked rows for operators
 * (list, retry, discard), and purge what is past its retention.
 */
export class OutboxRepository {
  /** Inserts rows in the caller's transaction, in one statement. */
  async insert(manager: EntityManager, rows: OutboxRow[]): Promise<void> {
    await manager.query(
      `INSERT INTO outbox (${ROW_COLUMNS})
       SELECT ${ROW_COLUMNS} FROM jsonb_to_recordset($1::jsonb)
         AS event (id uuid, exchange text, routing_key text, payload jsonb, headers jsonb)`,
      [JSON.stringify(rows)],
    );
  }

  /** Inserts an operator's replay in the caller's transaction. */
  async insertReplay(manager: EntityManager, row: ReplayRow): Promise<void> {
    await manager.query(`INSERT INTO outbox (${ROW_COLUMNS}, message_id, message_type) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      ...this.outboxRowValues(row),
      row.message_id,
      row.message_type,
    ]);
  }

  /** The rows written for one operation (an order), oldest first, published, pending or parked. */
  rowsFor(manager: EntityManager, correlationId: string): Promise<CorrelatedRow[]> {
    return manager.query(
      `SELECT id, exchange, routing_key AS "routingKey", message_type AS "messageType", created_at AS "createdAt", published_at AS "publishedAt",
         publish_attempts AS attempts, last_error AS "lastError", parked_at AS "parkedAt", headers->>'traceparent' AS traceparent
       FROM outbox WHERE headers->>'x-correlation-id' = $1 ORDER BY created_at, id`,
      [correlationId],
    );
  }

  /**
   * The `INSERT INTO outbox` of a caller's one-statement write, as a CTE body: one row for each row
   * of `source` (another CTE of the statement, e.g. the order it inserted), bound from parameter
   * `$first` on (see `outboxRowValues`), so the statement stays one round trip.
   */
  insertForEachRowOf(source: string, first: number): string {
    const params = [0, 1, 2, 3, 4].map((offset) => `$${first + offset}`).join(', ');
    return `INSERT INTO outbox (${ROW_COLUMNS}) SELECT ${params} FROM ${source}`;
  }

  /**
   * The batch form of `insertForEachRowOf`: the `INSERT INTO outbox` of one row per event whose key
   * is in the column `keyColumn` of `source` (e.g. the orders a statement inserted, by id), the
   * events bound as arrays from parameter `$first` on (see `outboxRowsValues`). The text does not
   * depend on how many events there are, so the statement stays one prepared statement.
   */
  insertForEachKeyOf(source: string, keyColumn: string, first: number): string {
    const [id, exchange, routingKey, payload, headers, key] = [0, 1, 2, 3, 4, 5].map((offset) => `$${first + offset}`);
    return `INSERT INTO outbox (${ROW_COLUMNS})
       SELECT event.id, event.exchange, event.routing_key, event.payload, event.headers
       FROM unnest(${id}::uuid[], ${exchange}::text[], ${routingKey}::text[], ${payload}::jsonb[], ${headers}::jsonb[], ${key}::text[])
         AS event (id, exchange, routing_key, payload, headers, key)
       JOIN ${source} ON ${source}.${keyColumn}::text = event.key`;
  }

  /** The parameters `insertForEachKeyOf` binds, in order: six arrays, one element per row. */
  outboxRowsValues(rows: { key: string; row: OutboxRow }[]): unknown[] {
    return [
      rows.map(({ row }) => row.id),
      rows.map(({ row }) => row.exchange),
      rows.map(({ row }) => row.routing_key),
      rows.map(({ row }) => JSON.stringify(row.payload)),
      rows.map(({ row }) => JSON.stringify(row.headers)),
      rows.map(({ key }) => key),
    ];
  }

  /** The parameters `insertForEachRowOf` binds, in order. */
  outboxRowValues(row: OutboxRow): unknown[] {
    return [row.id, row.exchange, row.routing_key, JSON.stringify(row.payload), JSON.stringify(row.headers)];
  }

  /**
   * Oldest unpublished rows, locked until the caller's transaction ends; rows another relay holds,
   * parked rows and rows waiting out their backoff are skipped (outbox_claimable_idx, in order).
   */
  claim(manager: EntityManager, limit: number): Promise<ClaimedRow[]> {
    return manager.query(
      `SELECT id, exchange, routing_key, payload, headers, created_at, refusals, message_id, message_type FROM outbox
       WHERE published_at IS NULL AND parked_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now())
       ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
  }

  async markPublished(manager: EntityManager, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(`UPDATE outbox SET published_at = now(), publish_attempts = publish_attempts + 1, last_error = NULL WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** Rows whose publish failed for the broker's sake (unreachable, no confirm): the attempt and its error are kept, nothing else changes. */
  async markFailed(manager: EntityManager, ids: string[], error: string): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(`UPDATE outbox SET publish_attempts = publish_attempts + 1, last_error = $2 WHERE id = ANY($1::uuid[])`, [ids, error]);
  }

  /** Rows the broker refused, in one statement: each counts a refusal, keeps its reason, and waits out its backoff or is parked. */
  async markRefused(manager: EntityManager, failures: RowFailure[]): Promise<void> {
    if (failures.length === 0) return;
    await manager.query(
      `UPDATE outbox SET publish_attempts = publish_attempts + 1, refusals = refusals + 1, last_error = failure.error,
         next_attempt_at = now() + make_interval(secs => failure.retry_in_ms / 1000.0),
         parked_at = CASE WHEN failure.retry_in_ms IS NULL THEN now() END
       FROM jsonb_to_recordset($1::jsonb) AS failure (id uuid, error text, retry_in_ms int)
       WHERE outbox.id = failure.id`,
      [JSON.stringify(failures.map((failure) => ({ id: failure.id, error: failure.error, retry_in_ms: failure.retryInMs })))],
    );
  }

  async backlog(manager: EntityManager): Promise<OutboxBacklog> {
    const [row]: { backlog: number; oldest_age_seconds: number | null; parked: number }[] = await manager.query(
      `SELECT count(*)::int AS backlog, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest_age_seconds,
         (SELECT count(*)::int FROM outbox WHERE parked_at IS NOT NULL) AS parked
       FROM outbox WHERE published_at IS NULL AND parked_at IS NULL`,
    );
    return { backlog: row.backlog, oldestAgeSeconds: row.oldest_age_seconds, parked: row.parked };
  }

  /** Parked rows, longest parked first. */
  listParked(manager: EntityManager, limit: number): Promise<ParkedRow[]> {
    return manager.query(
      `SELECT id, exchange, routing_key, payload, headers, created_at, parked_at, publish_attempts, refusals, last_error FROM outbox
       WHERE parked_at IS NOT NULL ORDER BY parked_at, id LIMIT $1`,
      [limit],
    );
  }

  /** Un-parks a row with a fresh count of refusals (its last error stays until it is published); false if it is not parked. */
  async retryParked(manager: EntityManager, id: string): Promise<boolean> {
    const [, updated]: [unknown, number] = await manager.query(
      `UPDATE outbox SET parked_at = NULL, next_attempt_at = NULL, refusals = 0 WHERE id = $1 AND parked_at IS NOT NULL`,
      [id],
    );
    return updated === 1;
  }

  /** Deletes a parked row for good, returning what it held; null if it is not parked. */
  async discardParked(manager: EntityManager, id: string): Promise<OutboxRow | null> {
    const [rows]: [OutboxRow[], number] = await manager.query(
      `DELETE FROM outbox WHERE id = $1 AND parked_at IS NOT NULL RETURNING id, exchange, routing_key, payload, headers`,
      [id],
    );
    return rows[0] ?? null;
  }

  /**
   * Records these message ids for `consumer` in the caller's transaction, in one statement, and
   * returns those not recorded before. Sorted: two transactions that share ids wait on them in the
   * same order instead of deadlocking.
   */
  async claimInbox(manager: EntityManager, consumer: string, messageIds: string[]): Promise<Set<string>> {
    const inserted: { message_id: string }[] = await manager.query(
      `INSERT INTO inbox (consumer, message_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING message_id`,
      [consumer, [...messageIds].sort()],
    );
    return new Set(inserted.map((row) => row.message_id));
  }

  /**
   * `read` with one inbox claim ($first: consumer, $first + 1: message id) in one statement: the
   * read as a lateral subquery of one row (so the claim runs when it found nothing too), marked by
   * `found`, then the claim, evaluated as each output row is formed, so after the read's locks.
   */
  claimAlongside(read: string, first: number, found: string, fresh: string): string {
    return `WITH claimed AS (INSERT INTO inbox (consumer, message_id) VALUES ($${first}, $${first + 1}) ON CONFLICT DO NOTHING RETURNING 1)
      SELECT found_row.*, EXISTS (SELECT 1 FROM claimed) AS "${fresh}"
      FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT true AS "${found}", inner_read.* FROM (${read}) inner_read) found_row ON true`;
  }

  async releaseInbox(manager: EntityManager, consumer: string, messageIds: string[]): Promise<void> {
    await manager.query(`DELETE FROM inbox WHERE consumer = $1 AND message_id = ANY($2::text[])`, [consumer, messageIds]);
  }

  /**
   * Deletes up to `limit` published outbox rows older than `hours`; returns how many. Unpublished
   * rows are never deleted, whatever their age. Limited, so one call stays far inside the statement timeout.
   */
  async purgePublished(manager: EntityManager, hours: number, limit: number): Promise<number> {
    const [, deleted]: [unknown, number] = await manager.query(RETENTION_STATEMENTS.outbox, [hours, limit]);
    return deleted;
  }

  /** Deletes up to `limit` inbox rows recorded more than `hours` ago; returns how many. */
  async purgeInbox(manager: EntityManager, hours: number, limit: number): Promise<number> {
    const [, deleted]: [unknown, number] = await manager.query(RETENTION_STATEMENTS.inbox, [hours, limit]);
    return deleted;
  }
}

/**
 * A connection of the DataSource's own pool, through the PostgreSQL driver's public
 * `obtainMasterConnection` (same pool, same timeouts), for what TypeORM's query API cannot do: a
 * named prepared statement, a LISTEN. `release(err)` with an error destroys the connection.
 */
export async function pooledConnection(dataSource: DataSource): Promise<{ client: PoolClient; release: (err?: Error | boolean) => void }> {
  const [client, release] = (await (dataSource.driver as PostgresDriver).obtainMasterConnection()) as [PoolClient, (err?: Error | boolean) => void];
  return { client, release };
}

/** What runs SQL: an EntityManager, or a migration's QueryRunner. */
interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * The events still stored under `routingKey`, oldest first (published rows are kept for the
 * retention window): for a data migration that must learn what a service once answered.
 */
export async function storedEvents(runner: SqlRunner, routingKey: string): Promise<{ payload: Record<string, unknown>; createdAt: Date }[]> {
  const rows = (await runner.query(`SELECT payload, created_at FROM outbox WHERE routing_key = $1 ORDER BY created_at, id`, [routingKey])) as {
    payload: Record<string, unknown>;
    created_at: Date;
  }[];
  return rows.map((row) => ({ payload: row.payload, createdAt: row.created_at }));
}
