import { TEST_CARDS } from '@shop/contracts';
import type { Pool } from 'pg';
import { inTransaction } from './database';
import { BEHAVIOUR_OF_TEST_TOKEN, brandOf } from '../tokens/card';

/** Any constant: replicas starting at once take turns creating the tables. */
const SCHEMA_LOCK = 4_010_001;

/**
 * The provider's tables. A token keeps what the card does, its brand and last four digits: never
 * the number or the CVC. The ledger holds money only (authorize, capture, void, refund); a decline
 * moves nothing and is found among the authorizations. An idempotency row is written first in the
 * transaction of its effect and completed with the response in the same transaction.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS tokens (
  token text PRIMARY KEY,
  behaviour text NOT NULL CHECK (behaviour IN ('succeeds', 'card_declined', 'insufficient_funds', 'hangs')),
  brand text NOT NULL,
  last4 char(4) NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
  exp_month integer,
  exp_year integer,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS authorizations (
  id text PRIMARY KEY,
  reference text NOT NULL,
  token text NOT NULL REFERENCES tokens (token),
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  currency char(3) NOT NULL,
  status text NOT NULL CHECK (status IN ('authorized', 'declined', 'captured', 'voided', 'refunded')),
  decline_code text,
  decline_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS authorizations_by_reference ON authorizations (reference, created_at);
CREATE TABLE IF NOT EXISTS ledger (
  id bigserial PRIMARY KEY,
  authorization_id text NOT NULL REFERENCES authorizations (id),
  reference text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('authorize', 'capture', 'void', 'refund')),
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS ledger_by_reference ON ledger (reference, id);
CREATE TABLE IF NOT EXISTS idempotency (
  endpoint text NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  -- filled in by the transaction that inserted the row, so no other transaction ever sees them empty
  response_status integer,
  response_body json,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (endpoint, key)
);
`;

/** Creates the tables if missing and seeds the documented test tokens; safe to run from several replicas at once. */
export async function ensureSchema(pool: Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    await client.query(SCHEMA);
    for (const card of TEST_CARDS) {
      await client.query(`INSERT INTO tokens (token, behaviour, brand, last4) VALUES ($1, $2, $3, $4) ON CONFLICT (token) DO NOTHING`, [
        card.token,
        BEHAVIOUR_OF_TEST_TOKEN[card.token],
        brandOf(card.number),
        card.number.slice(-4),
      ]);
    }
  });
}
