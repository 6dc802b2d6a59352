import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '../database/database';
import { ProviderError } from '../http/provider-error';

/** One money-moving call, named by its key within its endpoint, with the hash of what it asked. */
export interface IdempotentCall {
  endpoint: string;
  key: string;
  request: unknown;
}

export interface CallResponse {
  status: number;
  body: unknown;
}

export interface CallOutcome extends CallResponse {
  /** True when this is the stored answer of an earlier call with the same key. */
  replayed: boolean;
}

export const requestHash = (request: unknown): string => createHash('sha256').update(JSON.stringify(request)).digest('hex');

/**
 * Runs `effect` at most once per key: the key's row is inserted first, in the effect's own
 * transaction, so a concurrent call with the same key waits on that row and then reads the first
 * answer; the same key with another request is a 422. A refusal (`effect` throws) rolls the key
 * back with everything else: nothing happened, so the caller may try again with the same key.
 */
export async function runIdempotent(pool: Pool, call: IdempotentCall, effect: (client: PoolClient) => Promise<CallResponse>): Promise<CallOutcome> {
  const hash = requestHash(call.request);
  return inTransaction(pool, async (client) => {
    const claimed = await client.query(`INSERT INTO idempotency (endpoint, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT (endpoint, key) DO NOTHING`, [
      call.endpoint,
      call.key,
      hash,
    ]);
    if (claimed.rowCount === 0) return storedAnswer(client, call, hash);
    const response = await effect(client);
    await client.query(`UPDATE idempotency SET response_status = $3, response_body = $4 WHERE endpoint = $1 AND key = $2`, [
      call.endpoint,
      call.key,
      response.status,
      JSON.stringify(response.body),
    ]);
    return { ...response, replayed: false };
  });
}

/**
 * The answer stored under the call's key, or null when the key is free: the same answer when the
 * request is the same (`replayed`), a 422 naming the header when it is not.
 */
export async function storedAnswerIfAny(db: Pool | PoolClient, call: IdempotentCall, hash = requestHash(call.request)): Promise<CallOutcome | null> {
  const stored = await db.query<{ request_hash: string; response_status: number; response_body: unknown }>(
    `SELECT request_hash, response_status, response_body FROM idempotency WHERE endpoint = $1 AND key = $2`,
    [call.endpoint, call.key],
  );
  const first = stored.rows[0];
  if (!first) return null;
  if (first.request_hash !== hash) {
    throw ProviderError.field(
      422,
      'idempotency_key_reused',
      'Idempotency-Key',
      'was first used with a different request; send the same request again, or a new key for a new request',
    );
  }
  return { status: first.response_status, body: first.response_body, replayed: true };
}

/** The answer stored under a key the caller found taken (its INSERT conflicted): see storedAnswerIfAny. */
export async function storedAnswer(db: Pool | PoolClient, call: IdempotentCall, hash = requestHash(call.request)): Promise<CallOutcome> {
  const answer = await storedAnswerIfAny(db, call, hash);
  if (answer === null) throw new Error(`the ${call.endpoint} key ${call.key} was taken, and no answer is stored under it`);
  return answer;
}
