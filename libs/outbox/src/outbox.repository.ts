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

/** A claimed row, with the time it was written (the message's timestamp). */
export interface ClaimedRow extends OutboxRow {
  created_at: Date;
}

export interface OutboxBacklog {
  /** Rows not yet published. */
  backlog: number;
  /** Age of the oldest of them, in seconds; null when there is none. */
  oldestAgeSeconds: number | null;
}

/** The columns an outbox row is inserted with, in the order of `outboxRowValues`. */
const ROW_COLUMNS = 'id, exchange, routing_key, payload, headers';

/**
 * Every statement on the `outbox` and `inbox` tables, and nothing else (after Spring Modulith's
 * EventPublicationRepository): store within the caller's transaction or statement, claim the
 * unpublished, mark published or failed, the backlog, and purge what is past its retention.
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

  /**
   * The `INSERT INTO outbox` of a caller's one-statement write, as a CTE body: one row for each row
   * of `source` (another CTE of the statement, e.g. the order it inserted), bound from parameter
   * `$first` on (see `outboxRowValues`), so the statement stays one round trip.
   */
  insertForEachRowOf(source: string, first: number): string {
    const params = [0, 1, 2, 3, 4].map((offset) => `$${first + offset}`).join(', ');
    return `INSERT INTO outbox (${ROW_COLUMNS}) SELECT ${params} FROM ${source}`;
  }

  /** The parameters `insertForEachRowOf` binds, in order. */
  outboxRowValues(row: OutboxRow): unknown[] {
    return [row.id, row.exchange, row.routing_key, JSON.stringify(row.payload), JSON.stringify(row.headers)];
  }

  /** Oldest unpublished rows, locked until the caller's transaction ends; rows another relay holds are skipped. */
  claim(manager: EntityManager, limit: number): Promise<ClaimedRow[]> {
    return manager.query(
      `SELECT id, exchange, routing_key, payload, headers, created_at FROM outbox
       WHERE published_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
  }

  async markPublished(manager: EntityManager, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(`UPDATE outbox SET published_at = now(), publish_attempts = publish_attempts + 1, last_error = NULL WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async markFailed(manager: EntityManager, ids: string[], error: string): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(`UPDATE outbox SET publish_attempts = publish_attempts + 1, last_error = $2 WHERE id = ANY($1::uuid[])`, [ids, error]);
  }

  async backlog(manager: EntityManager): Promise<OutboxBacklog> {
    const [row]: { backlog: number; oldest_age_seconds: number | null }[] = await manager.query(
      `SELECT count(*)::int AS backlog, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest_age_seconds
       FROM outbox WHERE published_at IS NULL`,
    );
    return { backlog: row.backlog, oldestAgeSeconds: row.oldest_age_seconds };
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
   * Deletes up to `limit` published outbox rows older than `hours`; returns how many. Unpublished
   * rows are never deleted, whatever their age. Limited, so one call stays far inside the statement timeout.
   */
  async purgePublished(manager: EntityManager, hours: number, limit: number): Promise<number> {
    const [, deleted]: [unknown, number] = await manager.query(
      `DELETE FROM outbox WHERE id IN (
         SELECT id FROM outbox WHERE published_at < now() - make_interval(hours => $1) LIMIT $2
       )`,
      [hours, limit],
    );
    return deleted;
  }

  /** Deletes up to `limit` inbox rows recorded more than `hours` ago; returns how many. */
  async purgeInbox(manager: EntityManager, hours: number, limit: number): Promise<number> {
    const [, deleted]: [unknown, number] = await manager.query(
      `DELETE FROM inbox WHERE ctid IN (
         SELECT ctid FROM inbox WHERE processed_at < now() - make_interval(hours => $1) LIMIT $2
       )`,
      [hours, limit],
    );
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
