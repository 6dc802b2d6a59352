import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

/** Where the tests find PostgreSQL and RabbitMQ (the local services by default). */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_RABBITMQ_URL = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** Management API of the test broker, e.g. http://admin:secret@127.0.0.1:15672; unset: use `rabbitmqctl`. */
export const TEST_RABBITMQ_MANAGEMENT_URL = process.env.TEST_RABBITMQ_MANAGEMENT_URL;

/** A name no other test run uses: `prefix_<time>_<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

function urlWithPath(base: string, path: string): string {
  const url = new URL(base);
  url.pathname = `/${encodeURIComponent(path)}`;
  return url.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates an empty database and returns its URL. */
export async function createDatabase(prefix: string): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = uniqueName(prefix);
  await adminQuery(`CREATE DATABASE "${name}"`);
  return { name, url: urlWithPath(TEST_POSTGRES_URL, name), drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

async function managementApi(method: string, path: string, body?: unknown): Promise<void> {
  const base = new URL(TEST_RABBITMQ_MANAGEMENT_URL!);
  const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64');
  base.username = '';
  base.password = '';
  const response = await fetch(new URL(path, base), {
    method,
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
}

/**
 * Creates an empty vhost the test user may use fully, and returns the broker URL for it: through
 * the management API when TEST_RABBITMQ_MANAGEMENT_URL is set (a broker in a container), else
 * with `rabbitmqctl` (the local broker).
 */
export async function createVhost(prefix: string): Promise<{ name: string; url: string; remove: () => Promise<void> }> {
  const name = uniqueName(prefix);
  const user = decodeURIComponent(new URL(TEST_RABBITMQ_URL).username) || 'guest';
  const url = urlWithPath(TEST_RABBITMQ_URL, name);
  if (TEST_RABBITMQ_MANAGEMENT_URL) {
    await managementApi('PUT', `/api/vhosts/${encodeURIComponent(name)}`);
    await managementApi('PUT', `/api/permissions/${encodeURIComponent(name)}/${encodeURIComponent(user)}`, { configure: '.*', write: '.*', read: '.*' });
    return { name, url, remove: () => managementApi('DELETE', `/api/vhosts/${encodeURIComponent(name)}`) };
  }
  try {
    await run('rabbitmqctl', ['-q', 'add_vhost', name]);
    await run('rabbitmqctl', ['-q', 'set_permissions', '-p', name, user, '.*', '.*', '.*']);
  } catch (err) {
    throw new Error(
      `cannot create a RabbitMQ vhost with rabbitmqctl (${(err as Error).message.split('\n')[0]}); for a broker it cannot reach, set TEST_RABBITMQ_MANAGEMENT_URL`,
      {
        cause: err,
      },
    );
  }
  return { name, url, remove: () => run('rabbitmqctl', ['-q', 'delete_vhost', name]).then(() => undefined) };
}
