import { Logger } from '@nestjs/common';
import { MigrationExecutor, QueryFailedError, type DataSource, type QueryRunner } from 'typeorm';

/**
 * The advisory lock the migrations run under: "migrate" in ASCII. Any fixed number would do, as
 * PostgreSQL's advisory locks are per database and only the migrations take this one.
 */
export const MIGRATIONS_LOCK_KEY = 0x6d696772617465n;

/** PostgreSQL's query_canceled: here, statement_timeout ending a wait for the lock. */
const QUERY_CANCELED = '57014';

const logger = new Logger('Migrations');

/** Waits for the lock, however long another instance's migrations take (each wait is bounded by statement_timeout, then taken up again). */
async function lockMigrations(queryRunner: QueryRunner): Promise<void> {
  const [{ locked }] = (await queryRunner.query(`SELECT pg_try_advisory_lock(${MIGRATIONS_LOCK_KEY}) AS locked`)) as { locked: boolean }[];
  if (locked) return;
  logger.log('another instance is running the migrations: waiting for it to finish');
  for (;;) {
    try {
      await queryRunner.query(`SELECT pg_advisory_lock(${MIGRATIONS_LOCK_KEY})`);
      return;
    } catch (err) {
      if (!(err instanceof QueryFailedError && (err.driverError as { code?: string }).code === QUERY_CANCELED)) throw err;
    }
  }
}

/**
 * Runs the pending migrations of an initialized DataSource, once however many instances start at the
 * same moment: all of it (the migrations table, every CREATE) on one connection that holds a session
 * advisory lock, so the next instance to take the lock finds nothing left to run. Without it, two
 * instances both create the same tables and one fails (`duplicate key value violates unique
 * constraint "pg_type_typname_nsp_index"`, or `relation ... already exists`).
 */
export async function runMigrationsOnce(dataSource: DataSource): Promise<void> {
  const queryRunner = dataSource.createQueryRunner('master');
  try {
    await lockMigrations(queryRunner);
    try {
      const executor = new MigrationExecutor(dataSource, queryRunner);
      executor.transaction = dataSource.options.migrationsTransactionMode ?? 'all';
      const ran = await executor.executePendingMigrations();
      if (ran.length > 0) logger.log(`ran ${ran.length} migration(s): ${ran.map((migration) => migration.name).join(', ')}`);
    } finally {
      // A lost connection releases the lock with its session.
      await queryRunner.query(`SELECT pg_advisory_unlock(${MIGRATIONS_LOCK_KEY})`);
    }
  } finally {
    await queryRunner.release();
  }
}
