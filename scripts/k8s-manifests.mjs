#!/usr/bin/env node
/**
 * Writes the two files of deploy/base that are derived, not written by hand:
 * - rabbitmq-topology.yaml: the vhost, exchanges, quorum queues, bindings, per-service users and
 *   their permissions as Messaging Topology Operator resources, from the same buildDefinitions()
 *   that writes infra/rabbitmq/definitions.json (which replays libs/messaging's declareTopology
 *   over libs/contracts' TOPOLOGY and takes the users' rights from the route table);
 * - storefront.conf: infra/nginx/storefront.conf with the services as nginx upstreams.
 *
 *   pnpm build && node scripts/k8s-manifests.mjs    # (re)writes both
 *   node scripts/k8s-manifests.mjs --check          # exits 1 when either is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { buildDefinitions } from './rabbitmq-definitions.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const base = path.join(root, 'deploy/base');
/** The RabbitmqCluster of deploy/base/rabbitmq.yaml. */
const CLUSTER = { name: 'shop-rabbitmq' };
/** Each service's broker credentials (username, password), a Secret the User imports. */
const credentialsSecret = (user) => `${user}-rabbitmq`;

/** A DNS-1123 name for a broker name: `inventory.order-placed.retry.1s` -> `inventory-order-placed-retry-1s`. */
const resourceName = (...parts) =>
  parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');

const resource = (kind, name, spec) => ({ apiVersion: 'rabbitmq.com/v1beta1', kind, metadata: { name }, spec: { ...spec, rabbitmqClusterReference: CLUSTER } });

export async function topologyResources() {
  const definitions = await buildDefinitions();
  const [vhost] = definitions.vhosts;
  const services = definitions.users.filter((user) => user.tags.length === 0).map((user) => user.name);
  const resources = [
    resource('Vhost', resourceName('vhost', vhost.name), { name: vhost.name, defaultQueueType: 'quorum' }),
    ...definitions.exchanges.map((x) =>
      resource('Exchange', resourceName('exchange', x.name), { name: x.name, vhost: x.vhost, type: x.type, durable: x.durable, autoDelete: x.auto_delete }),
    ),
    // The operator declares `type` as x-queue-type; every other argument exactly as the services declare it.
    ...definitions.queues.map(({ arguments: { 'x-queue-type': type, ...args }, ...q }) =>
      resource('Queue', resourceName('queue', q.name), { name: q.name, vhost: q.vhost, type, durable: q.durable, autoDelete: q.auto_delete, arguments: args }),
    ),
    ...definitions.bindings.map((b) =>
      resource('Binding', resourceName('binding', b.source, b.destination, b.routing_key), {
        vhost: b.vhost,
        source: b.source,
        destination: b.destination,
        destinationType: b.destination_type,
        routingKey: b.routing_key,
      }),
    ),
    ...services.map((user) => resource('User', resourceName('user', user), { importCredentialsSecret: { name: credentialsSecret(user) } })),
    ...definitions.permissions
      .filter((p) => services.includes(p.user))
      .map((p) =>
        resource('Permission', resourceName('permission', p.user, p.vhost), {
          vhost: p.vhost,
          userReference: { name: resourceName('user', p.user) },
          permissions: { configure: p.configure, write: p.write, read: p.read },
        }),
      ),
  ];
  const names = resources.map((r) => `${r.kind}/${r.metadata.name}`);
  const clash = names.find((name, i) => names.indexOf(name) !== i);
  if (clash) throw new Error(`two topology resources are named ${clash}; make resourceName() tell them apart`);
  return resources;
}

/**
 * The image's server block, with upstreams instead of run-time resolution: nginx's resolver does
 * not use the pod's DNS search path, and a Service's cluster IP outlives its pods anyway.
 */
export function storefrontConf() {
  const source = readFileSync(path.join(root, 'infra/nginx/storefront.conf'), 'utf8');
  const upstreams = [];
  let conf = source.replace(/^(\s*)set \$(\w+) ([\w-]+):(\d+);$/gm, (_, indent, variable, host, port) => {
    upstreams.push(`upstream ${host} {\n  server ${host}:${port};\n}\n`);
    return `${indent}set $${variable} ${host};`;
  });
  // Behind the ingress, the client is the address it reports (realip): trusted only from the
  // cluster's private ranges, and read from the right, so an address a client wrote itself is not taken.
  conf = conf.replace(
    /^( {2}server_name _;\n)/m,
    `$1\n  # The ingress in front reports the client in X-Forwarded-For; trust it only from private addresses.\n` +
      ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fd00::/8'].map((range) => `  set_real_ip_from ${range};\n`).join('') +
      `  real_ip_header X-Forwarded-For;\n  real_ip_recursive on;\n`,
  );
  if (!conf.includes('real_ip_header')) throw new Error('infra/nginx/storefront.conf changed shape; update storefrontConf() in scripts/k8s-manifests.mjs');
  // The run-time resolver and the comment that explains it.
  conf = conf.replace(/(^ *#.*\n)*^ *include \/tmp\/nginx-resolver\.conf;\n/m, '  # The services: the upstreams above.\n');
  if (upstreams.length < 2 || conf.includes('nginx-resolver'))
    throw new Error('infra/nginx/storefront.conf changed shape; update storefrontConf() in scripts/k8s-manifests.mjs');
  return [
    '# Generated by scripts/k8s-manifests.mjs from infra/nginx/storefront.conf; do not edit.',
    '# The services are upstreams, resolved at start through the pod DNS search path.',
    ...upstreams,
    conf,
  ].join('\n');
}

async function format(text, filepath) {
  const prettier = await import('prettier');
  return prettier.format(text, { ...((await prettier.resolveConfig(filepath)) ?? {}), filepath });
}

async function expectedFiles() {
  const topologyFile = path.join(base, 'rabbitmq-topology.yaml');
  const header =
    '# Generated by scripts/k8s-manifests.mjs from libs/contracts (TOPOLOGY, ROUTES) and libs/messaging\n' +
    '# (declareTopology), as infra/rabbitmq/definitions.json is; do not edit. Applied by the\n' +
    '# Messaging Topology Operator to the RabbitmqCluster shop-rabbitmq.\n';
  const documents = (await topologyResources()).map((r) => stringify(r, { lineWidth: 0 }));
  return [
    [topologyFile, await format(header + documents.join('---\n'), topologyFile), 'libs/contracts and libs/messaging'],
    [path.join(base, 'storefront.conf'), storefrontConf(), 'infra/nginx/storefront.conf'],
  ];
}

function readIfExists(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function main() {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, expected, sources] of await expectedFiles()) {
    const relative = path.relative(root, file);
    if (!check) {
      writeFileSync(file, expected);
      console.log(`wrote ${relative}`);
    } else if (readIfExists(file) !== expected) {
      console.error(`${relative} is out of date with ${sources}; run: pnpm build && pnpm k8s:manifests`);
      stale++;
    }
  }
  if (check && stale === 0) console.log('deploy/base generated files are up to date');
  if (stale) process.exit(1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err.message ?? err);
    process.exit(1);
  });
}
