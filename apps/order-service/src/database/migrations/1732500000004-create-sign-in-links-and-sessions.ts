import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Sign-in links (single use, short-lived) and the shopper sessions they open, stored by the hash of their cookie. */
export class CreateSignInLinksAndSessions1732500000004 implements MigrationInterface {
  name = 'CreateSignInLinksAndSessions1732500000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sign_in_links (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Each new link deletes the links expired a day ago: that scan wants the expiry.
    await queryRunner.query(`CREATE INDEX sign_in_links_expires_idx ON sign_in_links (expires_at)`);
    await queryRunner.query(`
      CREATE TABLE shopper_sessions (
        token_hash bytea PRIMARY KEY,
        email text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    // Each new session deletes the sessions expired a day ago; signing out finds the email's others.
    await queryRunner.query(`CREATE INDEX shopper_sessions_expires_idx ON shopper_sessions (expires_at)`);
    await queryRunner.query(`CREATE INDEX shopper_sessions_email_idx ON shopper_sessions (email)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE shopper_sessions`);
    await queryRunner.query(`DROP TABLE sign_in_links`);
  }
}
