import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The dead letters of this service's queues, kept where an operator can query, group and act on them. */
export class CreateDeadLetters1733300000000 implements MigrationInterface {
  name = 'CreateDeadLetters1733300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
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
        UNIQUE (queue, message_id, replay_count)
      )`);
    await queryRunner.query(`CREATE INDEX dead_letters_open_idx ON dead_letters (fingerprint, last_failed_at) WHERE status = 'open'`);
    // Retention deletes resolved rows only, oldest first.
    await queryRunner.query(`CREATE INDEX dead_letters_resolved_idx ON dead_letters (resolved_at) WHERE status <> 'open'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dead_letters`);
  }
}
