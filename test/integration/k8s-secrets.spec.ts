import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * deploy/create-secrets.mjs (`pnpm k8s:secrets`), the step before `kubectl apply -k
 * deploy/overlays/production`, run against a stand-in kubectl that keeps the namespace's Secrets in a
 * JSON file: it creates the missing ones, keeps the existing ones, and creates nothing when the
 * operator's own setting is missing.
 */
describe('deploy/create-secrets.mjs (the secrets step of the production overlay)', () => {
  const script = join(__dirname, '../../deploy/create-secrets.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'k8s-secrets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const SMTP_URL = 'smtps://shop:relay-password@mail.example.com:465';
  const SECRETS = [
    'order-service-rabbitmq',
    'inventory-service-rabbitmq',
    'notification-service-rabbitmq',
    'payment-service-rabbitmq',
    'shop-admin',
    'order-service-sign-in',
    'order-service-cancel-token',
    'payment-provider-api-key',
    'notification-service-smtp',
  ];

  /** A kubectl that answers `apply -f`, `get secrets -o name` and `create -f -` from a state file. */
  const kubectl = join(dir, 'kubectl');
  writeFileSync(
    kubectl,
    `#!/usr/bin/env node
const fs = require('node:fs');
const state = process.env.FAKE_KUBECTL_STATE;
const secrets = JSON.parse(fs.readFileSync(state, 'utf8'));
const [verb, what] = process.argv.slice(2);
if (verb === 'apply') process.exit(0);
if (verb === 'get' && what === 'secrets') {
  for (const name of Object.keys(secrets)) console.log('secret/' + name);
  process.exit(0);
}
if (verb === 'create') {
  const secret = JSON.parse(fs.readFileSync(0, 'utf8'));
  if (secrets[secret.metadata.name]) { console.error('AlreadyExists'); process.exit(1); }
  secrets[secret.metadata.name] = secret;
  fs.writeFileSync(state, JSON.stringify(secrets));
  process.exit(0);
}
console.error('unexpected: ' + process.argv.slice(2).join(' '));
process.exit(2);
`,
  );
  chmodSync(kubectl, 0o755);

  /** Runs the step on a namespace holding `existing` (name to Secret); returns its output and the namespace after. */
  function run(env: Record<string, string>, existing: Record<string, unknown> = {}) {
    const state = join(dir, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(state, JSON.stringify(existing));
    const environment: NodeJS.ProcessEnv = { PATH: process.env.PATH, KUBECTL: kubectl, FAKE_KUBECTL_STATE: state, ...env };
    const result = spawnSync(process.execPath, [script], { encoding: 'utf8', env: environment });
    return { ...result, secrets: JSON.parse(readFileSync(state, 'utf8')) as Record<string, any> };
  }

  it('creates every Secret of the production overlay in its namespace, with strong random values', () => {
    const first = run({ SMTP_URL });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(Object.keys(first.secrets).sort()).toEqual([...SECRETS].sort());
    for (const secret of Object.values(first.secrets)) expect(secret.metadata.namespace).toBe('shop');

    const broker = first.secrets['notification-service-rabbitmq'];
    expect(broker.type).toBe('kubernetes.io/basic-auth');
    expect(broker.stringData.username).toBe('notification-service');
    // 24 random bytes, hex: URL-safe, since it goes into RABBITMQ_URL as it is.
    expect(broker.stringData.password).toMatch(/^[0-9a-f]{48}$/);
    expect(first.secrets['order-service-cancel-token'].stringData.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(first.secrets['notification-service-smtp'].stringData.url).toBe(SMTP_URL);

    // Drawn anew for each Secret and each run, never a constant.
    const second = run({ SMTP_URL });
    expect(second.secrets['shop-admin'].stringData.token).not.toBe(first.secrets['shop-admin'].stringData.token);
    expect(first.secrets['order-service-sign-in'].stringData.secret).not.toBe(first.secrets['order-service-cancel-token'].stringData.secret);
  });

  it('keeps a Secret that exists, and then needs no variable for it', () => {
    const cancelToken = { metadata: { name: 'order-service-cancel-token' }, stringData: { secret: 'the-one-in-use' } };
    const smtp = { metadata: { name: 'notification-service-smtp' }, stringData: { url: SMTP_URL } };
    const result = run({}, { 'order-service-cancel-token': cancelToken, 'notification-service-smtp': smtp });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('secret/order-service-cancel-token kept (it exists)');
    expect(result.secrets['order-service-cancel-token']).toEqual(cancelToken);
    expect(Object.keys(result.secrets).sort()).toEqual([...SECRETS].sort());
  });

  it('creates nothing when SMTP_URL is missing or not an SMTP URL, naming it', () => {
    const missing = run({});
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('create-secrets: SMTP_URL is not set');
    expect(missing.secrets).toEqual({});

    const wrong = run({ SMTP_URL: 'https://mail.example.com' });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('create-secrets: SMTP_URL: must start with smtp:// or smtps://');
    expect(wrong.secrets).toEqual({});
  });

  it("takes the card processor's key from PAYMENT_PROVIDER_API_KEY when it is set", () => {
    const result = run({ SMTP_URL, PAYMENT_PROVIDER_API_KEY: 'sk_live_processor' });
    expect(result.secrets['payment-provider-api-key'].stringData.key).toBe('sk_live_processor');
  });

  it('--print writes the Secrets as YAML and touches no cluster', () => {
    const result = spawnSync(process.execPath, [script, '--print'], { encoding: 'utf8', env: { PATH: process.env.PATH, SMTP_URL, KUBECTL: '/nonexistent' } });
    expect(result.status).toBe(0);
    const names = [...result.stdout.matchAll(/^ {2}name: (.+)$/gm)].map((match) => match[1]);
    expect(names.sort()).toEqual([...SECRETS].sort());
    expect(result.stdout).toContain(`  url: "${SMTP_URL}"`);
  });
});
