import { RabbitMqNode } from '@shop/testing';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = join(__dirname, '../..');

/**
 * The broker users of infra/rabbitmq/definitions.json, on a RabbitMQ node of this test that loads
 * the file as docker-compose's does: each service may declare its own queues and the exchanges it
 * publishes to, publish its events and consume its queue, and nothing of the other service's.
 */
describe('broker users have only their own service’s permissions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'broker-permissions-'));
  const definitions = join(dir, 'definitions.json');
  const node = new RabbitMqNode(join(dir, 'node'), { config: [`load_definitions = ${definitions}`] });

  beforeAll(async () => {
    // The committed file, plus guest on `/` (a node loading definitions creates no default user), which the node's readiness check logs in as.
    const committed = JSON.parse(readFileSync(join(REPO, 'infra/rabbitmq/definitions.json'), 'utf8'));
    committed.users.push({
      name: 'guest',
      password_hash: rabbitPasswordHash('guest'),
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      tags: [],
      limits: {},
    });
    committed.vhosts.push({ name: '/' });
    committed.permissions.push({ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' });
    writeFileSync(definitions, JSON.stringify(committed));
    await node.start();
  }, 180_000);

  afterAll(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes the permission probe (infra/rabbitmq/check-permissions.mjs) on a node that loaded the definitions', async () => {
    const { stdout } = await run(process.execPath, [join(REPO, 'infra/rabbitmq/check-permissions.mjs'), `amqp://127.0.0.1:${new URL(node.url).port}`], {
      env: { ...process.env, ORDER_SERVICE_RABBITMQ_PASSWORD: '', INVENTORY_SERVICE_RABBITMQ_PASSWORD: '' },
    });
    expect(stdout).not.toMatch(/FAIL/);
    expect(stdout).toMatch(/ok {3}consume orders\.stock-results: allowed/);
    expect(stdout).toMatch(/ok {3}consume inventory\.order-placed: refused/);
    expect(stdout).toMatch(/ok {3}declare the other's queues: refused/);
  }, 60_000);
});

/** RabbitMQ's rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++ password)). */
function rabbitPasswordHash(password: string): string {
  const salt = randomBytes(4);
  return Buffer.concat([
    salt,
    createHash('sha256')
      .update(Buffer.concat([salt, Buffer.from(password)]))
      .digest(),
  ]).toString('base64');
}
