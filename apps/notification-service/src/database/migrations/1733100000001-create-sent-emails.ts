import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSentEmails1733100000001 implements MigrationInterface {
  name = 'CreateSentEmails1733100000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One row per handled event (its broker message id): the email the mail server accepted, or the reply refusing it.
    await queryRunner.query(`
      CREATE TABLE sent_emails (
        message_id text PRIMARY KEY,
        order_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('received', 'confirmed', 'rejected')),
        recipient text NOT NULL,
        status text NOT NULL CHECK (status IN ('sent', 'refused')),
        smtp_response text NOT NULL,
        email_message_id text NOT NULL,
        -- When the server answered (the transaction began before the send).
        sent_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await queryRunner.query(`CREATE INDEX sent_emails_order ON sent_emails (order_id, sent_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE sent_emails`);
  }
}
