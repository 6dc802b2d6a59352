import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreatePayments1734200000001 implements MigrationInterface {
  name = 'CreatePayments1734200000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One row per order, whatever message came first: its lock serialises every message of the order,
    // and its status is where the order's payment stands. `cancelled-before-authorization` is the
    // tombstone a cancel leaves when nothing was authorized yet. `authorizing` is the placeholder an
    // order's first message writes and replaces within its transaction; committed, it is an
    // authorization asked for whose answer never came (its request is kept, to ask again with the same key).
    await queryRunner.query(`
      CREATE TABLE payments (
        order_id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('authorizing', 'authorized', 'declined', 'captured', 'voided', 'refunded', 'cancelled-before-authorization')),
        authorization_id text,
        amount_cents int CHECK (amount_cents >= 0),
        currency text CHECK (char_length(currency) = 3),
        decline_code text,
        decline_reason text,
        -- The provider's token (never a card number), kept only while an authorization's outcome is unknown.
        payment_token text,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- When the provider answered each call (authorized_at: authorized or declined).
        authorized_at timestamptz,
        captured_at timestamptz,
        voided_at timestamptz,
        refunded_at timestamptz,
        cancelled_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        -- Whatever the provider answered is kept with its authorization; a tombstone has none, an unanswered request its amount.
        CONSTRAINT payments_authorization_of_status CHECK ((authorization_id IS NULL) = (status IN ('authorizing', 'cancelled-before-authorization'))),
        CONSTRAINT payments_amount_of_status CHECK (
          status = 'authorizing' OR (amount_cents IS NULL AND currency IS NULL) = (status = 'cancelled-before-authorization')
        ),
        CONSTRAINT payments_token_while_unknown CHECK (payment_token IS NULL OR status = 'authorizing'),
        CONSTRAINT payments_decline_of_status CHECK ((status = 'declined') = (decline_code IS NOT NULL AND decline_reason IS NOT NULL))
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE payments`);
  }
}
