import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The order's emails in its own order: the `cancelled` kind, and a message may now send two emails
 * (an order's receipt goes ahead of the first email of the order whose order.placed has not come
 * yet), so a row is one email of one message: keyed by (message_id, kind). Each order has each kind
 * once: the sending decides from the kinds its order already has, under the order's lock.
 */
export class SentEmailsInOrder1733100000003 implements MigrationInterface {
  name = 'SentEmailsInOrder1733100000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sent_emails DROP CONSTRAINT sent_emails_kind_check`);
    await queryRunner.query(
      `ALTER TABLE sent_emails ADD CONSTRAINT sent_emails_kind_check CHECK (kind IN ('received', 'confirmed', 'rejected', 'cancelled', 'sign-in'))`,
    );
    await queryRunner.query(`ALTER TABLE sent_emails DROP CONSTRAINT sent_emails_pkey`);
    await queryRunner.query(`ALTER TABLE sent_emails ADD PRIMARY KEY (message_id, kind)`);
    // A sign-in link has no order (NULLs are distinct): the constraint holds for the order emails only.
    await queryRunner.query(`CREATE UNIQUE INDEX sent_emails_once_per_order ON sent_emails (order_id, kind)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The old table has neither the cancelled kind nor a second email per message (the receipts sent ahead).
    await queryRunner.query(`DELETE FROM sent_emails WHERE kind = 'cancelled'`);
    await queryRunner.query(
      `DELETE FROM sent_emails ahead USING sent_emails own WHERE ahead.message_id = own.message_id AND ahead.kind = 'received' AND own.kind <> 'received'`,
    );
    await queryRunner.query(`DROP INDEX sent_emails_once_per_order`);
    await queryRunner.query(`ALTER TABLE sent_emails DROP CONSTRAINT sent_emails_pkey`);
    await queryRunner.query(`ALTER TABLE sent_emails ADD PRIMARY KEY (message_id)`);
    await queryRunner.query(`ALTER TABLE sent_emails DROP CONSTRAINT sent_emails_kind_check`);
    await queryRunner.query(`ALTER TABLE sent_emails ADD CONSTRAINT sent_emails_kind_check CHECK (kind IN ('received', 'confirmed', 'rejected', 'sign-in'))`);
  }
}
