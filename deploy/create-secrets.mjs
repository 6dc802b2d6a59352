#!/usr/bin/env node
/**
 * The one step before `kubectl apply -k deploy/overlays/production`: creates, in that overlay's
 * namespace, every Secret its objects read that neither the overlay renders nor an operator writes
 * (the databases' `<cluster>-app` come from CloudNativePG, the broker's `shop-rabbitmq-default-user`
 * from the Cluster Operator). Random values are 24 or 32 bytes from node:crypto, hex-encoded (URL-safe:
 * the broker passwords go into RABBITMQ_URL as they are); what only the operator knows comes from the
 * environment, and a missing variable is named before anything is created.
 *
 *   SMTP_URL=smtps://user:password@mail.example.com:465 pnpm k8s:secrets    creates the missing ones
 *   SMTP_URL=... node deploy/create-secrets.mjs --print                     prints them as YAML, touches no cluster
 *
 * A Secret that already exists is kept, never overwritten: a re-run creates only what is missing
 * (a new service's), and does not invalidate the sign-in links, the orders' cancel tokens or the
 * broker passwords already in use. To rotate one, delete it and run this again (deploy/README.md).
 * kubectl is taken from PATH (or KUBECTL) with its current context. Needs nothing but Node.
 *
 * PRODUCTION_SECRETS is also what `pnpm k8s:check` counts as created for the production overlay,
 * so a Secret referred to there and missing here fails the check.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The overlay these Secrets are for. */
export const OVERLAY = 'production';
const overlayDir = path.join(here, 'overlays', OVERLAY);

/** A key's value, drawn when the Secret is created: random for the shop's own, from the environment for the operator's. */
const random = (bytes) => () => randomBytes(bytes).toString('hex');
const literal = (text) => () => text;
/** `check` returns a problem or nothing; `orElse` draws the value when the variable is unset (else it is required). */
const fromEnv =
  (variable, what, { check, orElse } = {}) =>
  (environment) => {
    const text = environment[variable]?.trim();
    if (!text) {
      if (orElse) return orElse();
      throw new Error(`${variable} is not set: ${what}`);
    }
    const problem = check?.(text);
    if (problem) throw new Error(`${variable}: ${problem}`);
    return text;
  };

const smtpUrlProblem = (text) => {
  let url;
  try {
    url = new URL(text);
  } catch {
    return 'must be a URL, smtp://user:password@host:587 or smtps://user:password@host:465';
  }
  if (!['smtp:', 'smtps:'].includes(url.protocol)) return `must start with smtp:// or smtps:// (not ${url.protocol}//)`;
  if (!url.hostname) return 'must name the mail relay host';
};

/** The services that publish and consume, each with its own broker user (base/rabbitmq-topology.yaml). */
const BROKER_USERS = ['order-service', 'inventory-service', 'notification-service', 'payment-service'];

/** Every Secret the production overlay needs and nothing else creates: name, type, and each key's value. */
export const PRODUCTION_SECRETS = [
  // RABBITMQ_USERNAME/RABBITMQ_PASSWORD of the service; the Topology Operator's User imports the same.
  ...BROKER_USERS.map((service) => ({
    name: `${service}-rabbitmq`,
    type: 'kubernetes.io/basic-auth',
    data: { username: literal(service), password: random(24) },
  })),
  // ADMIN_TOKEN, the operators' bearer token, of every service.
  { name: 'shop-admin', data: { token: random(32) } },
  // SIGN_IN_SECRET of order-service: signs the emailed sign-in links; one for all replicas.
  { name: 'order-service-sign-in', data: { secret: random(32) } },
  // CANCEL_TOKEN_SECRET of order-service: signs each order's cancel capability.
  { name: 'order-service-cancel-token', data: { secret: random(32) } },
  // PAYMENT_PROVIDER_API_KEY of payment-service and PROVIDER_API_KEY of the stand-in, which accepts
  // whatever key this holds; with a real card processor, its secret key.
  {
    name: 'payment-provider-api-key',
    data: { key: fromEnv('PAYMENT_PROVIDER_API_KEY', "the card processor's secret key", { orElse: random(32) }) },
  },
  // SMTP_URL of notification-service: the operator's own mail relay, its credentials in the URL.
  {
    name: 'notification-service-smtp',
    data: {
      url: fromEnv(
        'SMTP_URL',
        "your mail relay's URL with its credentials (smtp://user:password@host:587, or smtps://user:password@host:465), which notification-service sends the shoppers' emails through",
        { check: smtpUrlProblem },
      ),
    },
  },
];

/** The namespace the overlay puts everything in. */
export function overlayNamespace() {
  const namespace = /^namespace:\s*(\S+)\s*$/m.exec(readFileSync(path.join(overlayDir, 'kustomization.yaml'), 'utf8'))?.[1];
  if (!namespace) throw new Error(`deploy/overlays/${OVERLAY}/kustomization.yaml names no namespace`);
  return namespace;
}

/** The Secret objects for `names`, their values drawn now; throws naming every missing or invalid variable. */
export function secretObjects(names, namespace, environment = process.env) {
  const problems = [];
  const objects = PRODUCTION_SECRETS.filter((secret) => names.includes(secret.name)).map((secret) => {
    const stringData = {};
    for (const [key, draw] of Object.entries(secret.data)) {
      try {
        stringData[key] = draw(environment);
      } catch (err) {
        problems.push(err.message);
      }
    }
    return { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret.name, namespace }, type: secret.type ?? 'Opaque', stringData };
  });
  if (problems.length) throw new Error([...new Set(problems)].join('\n'));
  return objects;
}

/** YAML without a library: every value a JSON string, which is a YAML double-quoted scalar. */
const toYaml = (secret) =>
  [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: ${secret.metadata.name}`,
    `  namespace: ${secret.metadata.namespace}`,
    `type: ${secret.type}`,
    'stringData:',
    ...Object.entries(secret.stringData).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`),
  ].join('\n');

function kubectl(args, input) {
  const binary = process.env.KUBECTL || 'kubectl';
  try {
    return execFileSync(binary, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`${binary} ${args.join(' ')} failed: ${(err.stderr || err.message).trim()}`, { cause: err });
  }
}

function main(args) {
  const namespace = overlayNamespace();
  const names = PRODUCTION_SECRETS.map((secret) => secret.name);
  if (args[0] === '--print') {
    console.log(secretObjects(names, namespace).map(toYaml).join('\n---\n'));
    return;
  }
  if (args.length) throw new Error(`unknown argument ${args[0]}; usage: node deploy/create-secrets.mjs [--print]`);

  // The namespace first (the overlay applies the same file again).
  kubectl(['apply', '-f', path.join(overlayDir, 'namespace.yaml')]);
  const existing = new Set(
    kubectl(['get', 'secrets', '--namespace', namespace, '--output', 'name'])
      .split('\n')
      .map((line) => line.trim().replace(/^secret\//, ''))
      .filter(Boolean),
  );
  const missing = names.filter((name) => !existing.has(name));
  // Every value before the first create: a missing variable creates nothing.
  const objects = secretObjects(missing, namespace);
  for (const name of names.filter((n) => existing.has(n))) console.log(`secret/${name} kept (it exists)`);
  for (const secret of objects) {
    kubectl(['create', '--namespace', namespace, '-f', '-'], JSON.stringify(secret));
    console.log(`secret/${secret.metadata.name} created (${Object.keys(secret.stringData).join(', ')})`);
  }
  console.log(
    `namespace ${namespace}: ${objects.length} Secret(s) created, ${names.length - objects.length} kept; next: kubectl apply -k deploy/overlays/${OVERLAY}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`create-secrets: ${err.message}`);
    process.exitCode = 1;
  }
}
