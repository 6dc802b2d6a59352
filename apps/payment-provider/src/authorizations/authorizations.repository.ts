import type { AuthorizationStatus, AuthorizationView, LedgerEntry } from '@shop/contracts';
import type { Pool, PoolClient } from 'pg';
import type { CardBehaviour } from '../tokens/card';

type Queryable = Pool | PoolClient;

interface AuthorizationRow {
  id: string;
  reference: string;
  status: AuthorizationStatus;
  amount_cents: string;
  currency: string;
  decline_code: string | null;
  decline_reason: string | null;
}

const COLUMNS = 'id, reference, status, amount_cents, currency, decline_code, decline_reason';

export const toView = (row: AuthorizationRow): AuthorizationView => ({
  id: row.id,
  reference: row.reference,
  status: row.status,
  amountCents: Number(row.amount_cents),
  currency: row.currency,
  declineCode: row.decline_code,
  declineReason: row.decline_reason,
});

export async function tokenBehaviour(db: Queryable, token: string): Promise<CardBehaviour | null> {
  const { rows } = await db.query<{ behaviour: CardBehaviour }>('SELECT behaviour FROM tokens WHERE token = $1', [token]);
  return rows[0]?.behaviour ?? null;
}

/** The idempotency row a call claims: its key within its endpoint and the hash of what it asked. */
export interface KeyClaim {
  endpoint: string;
  key: string;
  requestHash: string;
}

/**
 * Records a new authorization in one statement, and so in one implicit transaction: the key with
 * its answer (the authorization itself, decided before: id and outcome), the authorization, and
 * its ledger row when it holds money (a decline moves none). Every part is conditional on the key
 * being new. Returns the answer stored, or null when the key was taken already (a concurrent call
 * with the same key waits on the key's row, then finds it) and nothing was written.
 */
export async function insertAuthorizationOnce(
  pool: Pool,
  claim: KeyClaim,
  authorization: AuthorizationView & { token: string },
): Promise<AuthorizationView | null> {
  const { token, ...view } = authorization;
  const { rows } = await pool.query<{ claimed: boolean }>(
    `WITH claimed AS (
       INSERT INTO idempotency (endpoint, key, request_hash, response_status, response_body)
       VALUES ($1, $2, $3, 201, $4) ON CONFLICT (endpoint, key) DO NOTHING RETURNING 1
     ), authorization_row AS (
       INSERT INTO authorizations (id, reference, token, amount_cents, currency, status, decline_code, decline_reason)
       SELECT $5, $6, $7, $8, $9, $10, $11, $12 FROM claimed RETURNING id, reference, status, amount_cents
     ), ledger_row AS (
       INSERT INTO ledger (authorization_id, reference, kind, amount_cents)
       SELECT id, reference, 'authorize', amount_cents FROM authorization_row WHERE status = 'authorized'
     )
     SELECT EXISTS (SELECT 1 FROM claimed) AS claimed`,
    [
      claim.endpoint,
      claim.key,
      claim.requestHash,
      JSON.stringify(view),
      authorization.id,
      authorization.reference,
      token,
      authorization.amountCents,
      authorization.currency,
      authorization.status,
      authorization.declineCode,
      authorization.declineReason,
    ],
  );
  return rows[0].claimed ? view : null;
}

/** The authorization, locked until the transaction ends, so a concurrent capture and void take turns. */
export async function lockAuthorization(client: PoolClient, id: string): Promise<AuthorizationView | null> {
  const { rows } = await client.query<AuthorizationRow>(`SELECT ${COLUMNS} FROM authorizations WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] ? toView(rows[0]) : null;
}

export async function updateStatus(client: PoolClient, id: string, status: AuthorizationStatus): Promise<AuthorizationView> {
  const { rows } = await client.query<AuthorizationRow>(`UPDATE authorizations SET status = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [
    id,
    status,
  ]);
  return toView(rows[0]);
}

export async function appendLedger(client: PoolClient, entry: Omit<LedgerEntry, 'at'>): Promise<void> {
  await client.query(`INSERT INTO ledger (authorization_id, reference, kind, amount_cents) VALUES ($1, $2, $3, $4)`, [
    entry.authorizationId,
    entry.reference,
    entry.kind,
    entry.amountCents,
  ]);
}

export async function findAuthorization(db: Queryable, id: string): Promise<AuthorizationView | null> {
  const { rows } = await db.query<AuthorizationRow>(`SELECT ${COLUMNS} FROM authorizations WHERE id = $1`, [id]);
  return rows[0] ? toView(rows[0]) : null;
}

export interface Page {
  reference?: string;
  limit: number;
  offset: number;
}

/** Oldest first; one reference's, or everyone's (for tests), one page at a time. */
export async function listAuthorizations(db: Queryable, page: Page): Promise<AuthorizationView[]> {
  const { rows } = await db.query<AuthorizationRow>(
    `SELECT ${COLUMNS} FROM authorizations WHERE ($1::text IS NULL OR reference = $1) ORDER BY created_at, id LIMIT $2 OFFSET $3`,
    [page.reference ?? null, page.limit, page.offset],
  );
  return rows.map(toView);
}

/** Oldest first; one reference's movements, or everyone's (for tests), one page at a time. */
export async function listLedger(db: Queryable, page: Page): Promise<LedgerEntry[]> {
  const { rows } = await db.query<{ authorization_id: string; reference: string; kind: LedgerEntry['kind']; amount_cents: string; at: Date }>(
    `SELECT authorization_id, reference, kind, amount_cents, at FROM ledger WHERE ($1::text IS NULL OR reference = $1) ORDER BY id LIMIT $2 OFFSET $3`,
    [page.reference ?? null, page.limit, page.offset],
  );
  return rows.map((row) => ({
    authorizationId: row.authorization_id,
    reference: row.reference,
    kind: row.kind,
    amountCents: Number(row.amount_cents),
    at: row.at.toISOString(),
  }));
}
