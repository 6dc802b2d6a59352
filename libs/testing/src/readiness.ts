import { Pool } from 'pg';
import { waitFor } from './wait';

/** GET /health/ready until it answers 200. */
export async function waitUntilReady(url: string, what: string, timeoutMs = 120_000): Promise<void> {
  await waitFor(
    async () => {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5_000) });
      await response.body?.cancel();
      return response.ok;
    },
    { timeoutMs, intervalMs: 250, what: `${what} to be ready at ${url}` },
  );
}

/** A test's own SQL connections. A fault may drop an idle one; the pool then simply opens another. */
export function sqlPool(url: string): Pool {
  const pool = new Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined);
  return pool;
}
