import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dead letters of this service's queues, kept where an operator can query, group and act on them;
 * the audit of what operators did; and what an operator's replay needs of the outbox: a row published
 * under another message id than its own (a replay keeps the original's, so the inbox drops a message
 * applied before) and with its own type.
 */
export class CreateDeadLetters1764979300000 implements MigrationInterface {
  name = 'CreateDeadLetters1764979300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox ADD COLUMN message_id text, ADD COLUMN message_type text`);
    // An order's outbox rows, for its timeline and the reason it is stuck.
    await queryRunner.query(`CREATE INDEX outbox_correlation_idx ON outbox ((headers->>'x-correlation-id'))`);
    await queryRunner.query(`
      CREATE TABLE dead_letters (
        id uuid PRIMARY KEY,
        queue text NOT NULL,
        message_id text NOT NULL,
        -- 0 for the first failure; a replayed message that failed again comes back with its replay count.
        replay_count int NOT NULL DEFAULT 0,
        -- The first failure of this message, when this row is a replay that failed again.
        replay_of uuid REFERENCES dead_letters (id),
        routing_key text NOT NULL,
        message_type text,
        headers jsonb NOT NULL DEFAULT '{}',
        -- As received; payload is its JSON when it parses (an undecodable message may not).
        body text NOT NULL,
        payload jsonb,
        reason text NOT NULL,
        error_class text NOT NULL,
        last_error text,
        attempts int NOT NULL,
        first_failed_at timestamptz NOT NULL,
        last_failed_at timestamptz NOT NULL,
        -- queue + error class + normalised reason: a thousand messages of one bug are one group.
        fingerprint text NOT NULL,
        taken_at timestamptz NOT NULL DEFAULT now(),
        -- open until an operator replays or discards it.
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'replayed', 'discarded')),
        resolved_at timestamptz,
        resolved_by text,
        -- The id a replay (the original's) or an edit (a new one) was sent under: the inbox tells whether it was applied.
        sent_message_id text,
        UNIQUE (queue, message_id, replay_count)
      )`);
    await queryRunner.query(`CREATE INDEX dead_letters_open_idx ON dead_letters (fingerprint, last_failed_at) WHERE status = 'open'`);
    // Retention deletes resolved rows only, oldest first.
    await queryRunner.query(`CREATE INDEX dead_letters_resolved_idx ON dead_letters (resolved_at) WHERE status <> 'open'`);
    // An order's dead letters, for its timeline and the stuck orders' reasons.
    await queryRunner.query(`CREATE INDEX dead_letters_order_idx ON dead_letters ((payload->>'orderId'))`);
    // Every operator action, kept: who, when, what, on what, and how it ended. Never purged by a timer.
    await queryRunner.query(`
      CREATE TABLE operator_actions (
        id uuid PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        operator text NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}',
        outcome text NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX operator_actions_at_idx ON operator_actions (at DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE operator_actions`);
    await queryRunner.query(`DROP TABLE dead_letters`);
    await queryRunner.query(`DROP INDEX outbox_correlation_idx`);
    await queryRunner.query(`ALTER TABLE outbox DROP COLUMN message_type, DROP COLUMN message_id`);
  }
}
