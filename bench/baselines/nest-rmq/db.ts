import type { Provider } from '@nestjs/common';
import { createPgPool, PG_POOL } from '../../coupled/common';

export { PG_POOL };

/**
 * The coupled baseline's pool, plus a listener for errors on idle connections: without one, a
 * connection the server closes (a restart of the shared PostgreSQL) would crash the process, and
 * the bench would count that against the transport.
 */
export const pgPoolProvider: Provider = {
  provide: PG_POOL,
  useFactory: () => {
    const pool = createPgPool();
    pool.on('error', (err) => console.error(`idle PostgreSQL connection failed: ${err.message}`));
    return pool;
  },
};
