import type { Pool } from 'pg';

/**
 * The dead letters notification-service kept (it takes its dead-letter queues into its database),
 * each returned once: every call returns those the previous calls had not.
 */
export function keptDeadLetters(sql: () => Pool): () => Promise<{ messageId: string; reason: string; body: string }[]> {
  const seen = new Set<string>();
  return async () => {
    const { rows } = await sql().query<{ id: string; messageId: string; reason: string; body: string }>(
      `SELECT id, message_id AS "messageId", reason, body FROM dead_letters ORDER BY last_failed_at, taken_at`,
    );
    const fresh = rows.filter((row) => !seen.has(row.id));
    for (const row of fresh) seen.add(row.id);
    return fresh;
  };
}
