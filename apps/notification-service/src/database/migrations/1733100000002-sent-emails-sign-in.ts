import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sent log also records sign-in links: they have no order, a kind of their own, and may be
 * `expired` (consumed after their expiry, not sent). The link's token is never stored: the row
 * keeps the recipient and the Message-ID (which names the link id) only.
 */
export class SentEmailsSignIn1733100000002 implements MigrationInterface {
  name = 'SentEmailsSignIn1733100000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sent_emails ALTER COLUMN order_id DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE sent_emails DROP CONSTRAINT sent_emails_kind_check`);
    await queryRunner.query(`ALTER TABLE sent_emails ADD CONSTRAINT sent_emails_kind_check CHECK (kind IN ('received', 'confirmed', 'rejected', 'sign-in'))`);
    await queryRunner.query(`ALTER TABLE sent_emails DROP CONSTRAINT sent_emails_status_check`);
    await queryRunner.query(`ALTER TABLE sent_emails ADD CONSTRAINT sent_emails_status_check CHECK (status IN ('sent', 'refused', 'expired'))`);
    // Only a sign-in link lacks an order, and only a sign-in link expires: an order email keeps its order id.
    await queryRunner.query(`ALTER TABLE sent_emails ADD CONSTRAINT sent_emails_order_of_kind CHECK ((order_id IS NULL) = (kind = 'sign-in'))`);
    await queryRunner.query(`ALTER TABLE sent_emails ADD CONSTRAINT sent_emails_expired_sign_in CHECK (status <> 'expired' OR kind = 'sign-in')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The sign-in rows cannot fit the old table; the order emails' rows stay.
    await queryRunner.query(`DELETE FROM sent_emails WHERE kind = 'sign-in'`);
    await queryRunner.query(`ALTER TABLE sent_emails DROP CONSTRAINT sent_emails_expired_sign_in`);
    await queryRunner.query(`ALTER TABLE sent_emails DROP CONSTRAINT sent_emails_order_of_kind`);
    await queryRunner.query(`ALTER TABLE sent_emails DROP CONSTRAINT sent_emails_status_check`);
    await queryRunner.query(`ALTER TABLE sent_emails ADD CONSTRAINT sent_emails_status_check CHECK (status IN ('sent', 'refused'))`);
    await queryRunner.query(`ALTER TABLE sent_emails DROP CONSTRAINT sent_emails_kind_check`);
    await queryRunner.query(`ALTER TABLE sent_emails ADD CONSTRAINT sent_emails_kind_check CHECK (kind IN ('received', 'confirmed', 'rejected'))`);
    await queryRunner.query(`ALTER TABLE sent_emails ALTER COLUMN order_id SET NOT NULL`);
  }
}
