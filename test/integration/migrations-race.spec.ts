import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { TOPOLOGY, withRetryPolicy } from '@shop/contracts';
import { declareTopology } from '@shop/messaging';
import { createDatabase, createVhost, freePort, sqlPool, waitUntilReady } from '@shop/testing';

const REPO = join(__dirname, '..', '..');
const MAIN = join(REPO, 'apps/inventory-service/dist/main.js');
const INSTANCES = 3;
const RETRY_DELAYS_MS = [1_000, 5_000];
const MAX_ATTEMPTS = 3;

interface Instance {
  child: ChildProcess;
  url: string;
  /** Every line it wrote, stdout and stderr. */
  lines: string[];
}

/** pino's levels: 40 warn, 50 error, 60 fatal. */
const isWarningOrWorse = (line: string): boolean => {
  try {
    return (JSON.parse(line) as { level?: number }).level! >= 40;
  } catch {
    // Not a log record (an uncaught error's stack, a library writing to the console): worth reading.
    return true;
  }
};

/**
 * Three replicas of a service started at the same moment on an empty database, as a first deploy
 * with `replicas: 3` does: the first to take the migrations lock runs them, the others wait for it and
 * find nothing left to run. None of them fails, retries or logs a warning.
 */
describe('three instances starting at once on an empty database', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  const instances: Instance[] = [];

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first`);
    [database, vhost] = await Promise.all([createDatabase('migrations_race'), createVhost('migrations-race')]);
    // The broker's definitions, as a deployment loads them: a service warns about a queue it has to declare itself.
    const broker = await connect(vhost.url);
    try {
      await declareTopology(await broker.createChannel(), withRetryPolicy(TOPOLOGY, RETRY_DELAYS_MS, MAX_ATTEMPTS));
    } finally {
      await broker.close();
    }
  });

  afterAll(async () => {
    await Promise.all(
      instances.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await Promise.all([database?.drop(), vhost?.remove()]);
  });

  function start(port: number): Instance {
    const child = spawn(process.execPath, [MAIN], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        METRICS_PORT: '0',
        DATABASE_URL: database.url,
        RABBITMQ_URL: vhost.url,
        RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(','),
        MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const instance: Instance = { child, url: `http://127.0.0.1:${port}`, lines: [] };
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop()!;
        instance.lines.push(...lines.filter((line) => line.trim() !== ''));
      });
    }
    return instance;
  }

  it('each becomes ready, none logs a warning or an error, and every migration is recorded once', async () => {
    // Ports first, then every process in the same tick: they reach their migrations together.
    const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
    instances.push(...ports.map(start));
    await Promise.all(instances.map((instance, i) => waitUntilReady(instance.url, `inventory-service #${i + 1}`)));

    for (const [i, instance] of instances.entries()) {
      expect({ instance: i + 1, complaints: instance.lines.filter(isWarningOrWorse) }).toEqual({ instance: i + 1, complaints: [] });
      expect(instance.lines.join('\n')).not.toMatch(/duplicate key|pg_type_typname_nsp_index|Unable to connect to the database/);
    }

    // One of them ran the migrations; the others found none pending.
    expect(instances.filter(({ lines }) => lines.some((line) => line.includes('ran ') && line.includes('migration(s)')))).toHaveLength(1);

    const sql = sqlPool(database.url);
    try {
      const { rows } = await sql.query<{ name: string; runs: number }>('SELECT name, count(*)::int AS runs FROM migrations GROUP BY name');
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.filter((row) => row.runs !== 1)).toEqual([]);
    } finally {
      await sql.end();
    }
  });
});
