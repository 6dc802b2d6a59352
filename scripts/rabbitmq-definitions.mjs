#!/usr/bin/env node
/**
 * Writes infra/rabbitmq/definitions.json, which RabbitMQ loads at boot in docker-compose: the vhost
 * `shop`, one user per service with least permissions, an admin for the management UI, and the
 * topology exactly as the services declare it.
 *
 * The topology is not described a second time here: the generator runs libs/messaging's own
 * `declareTopology()` against a channel that records the declarations, so names and queue arguments
 * are the ones the services send. A queue loaded with other arguments would make every service's
 * declare fail with PRECONDITION_FAILED.
 *
 *   pnpm build && node scripts/rabbitmq-definitions.mjs    # (re)writes the file
 *   node scripts/rabbitmq-definitions.mjs --check          # exits 1 when the file is out of date
 *
 * Passwords are the development defaults that docker-compose also uses; the same variables
 * (RABBITMQ_ADMIN_PASSWORD, and `<SERVICE>_RABBITMQ_PASSWORD` for each service of the route table:
 * ORDER_SERVICE_, INVENTORY_SERVICE_, NOTIFICATION_SERVICE_, PAYMENT_SERVICE_) override them here and there. See .env.example.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outputFile = path.join(root, 'infra/rabbitmq/definitions.json');

const VHOST = 'shop';
const ADMIN_USER = 'admin';

function loadBuiltLibs() {
  try {
    return { contracts: require('../libs/contracts/dist'), messaging: require('../libs/messaging/dist') };
  } catch (err) {
    throw new Error(`cannot load libs/contracts/dist or libs/messaging/dist (run \`pnpm build\` first): ${err.message}`, { cause: err });
  }
}

/** What each service of the route table does on the broker beyond declaring its part of the topology. */
function serviceUsers({ EXCHANGES, ROUTES, CONSUMERS, SERVICES, replayExchangeOf }) {
  // A consumer forwards failed messages to the retry exchange, poison ones to the dead-letter exchange,
  // and its operators' replays (through its outbox) to the replay exchange.
  const forwarding = (service) => [EXCHANGES.retry, EXCHANGES.deadLetter, replayExchangeOf(service)];
  return SERVICES.map((name) => {
    const consumes = Object.keys(CONSUMERS).filter((queue) => CONSUMERS[queue] === name);
    return {
      name,
      passwordVariable: `${name.toUpperCase().replace(/-/g, '_')}_RABBITMQ_PASSWORD`,
      defaultPassword: `${name}-dev-password`,
      publishesTo: [
        ...new Set(
          Object.values(ROUTES)
            .filter((route) => route.producer === name)
            .map((route) => route.exchange),
        ),
        ...(consumes.length > 0 ? forwarding(name) : []),
      ],
      consumes,
    };
  });
}

/**
 * Runs `declareTopology` against a stand-in channel and returns what it declared, with amqplib's
 * defaults applied (durable unless told otherwise, not auto-delete, not exclusive, not internal).
 * Options that amqplib would turn into other arguments are refused rather than guessed at.
 */
async function recordTopology(declareTopology, topology) {
  const declared = { exchanges: [], queues: [], bindings: [] };
  const onlyOptions = (what, options, allowed) => {
    const unknown = Object.keys(options).filter((key) => !allowed.includes(key));
    if (unknown.length) throw new Error(`${what}: option(s) ${unknown.join(', ')} not supported by the generator; extend it`);
  };
  const channel = {
    async assertExchange(name, type, options = {}) {
      onlyOptions(`exchange ${name}`, options, ['durable', 'autoDelete', 'internal', 'arguments']);
      declared.exchanges.push({
        name,
        vhost: VHOST,
        type,
        durable: options.durable ?? true,
        auto_delete: options.autoDelete ?? false,
        internal: options.internal ?? false,
        arguments: { ...options.arguments },
      });
      return { exchange: name };
    },
    async assertQueue(name, options = {}) {
      onlyOptions(`queue ${name}`, options, ['durable', 'autoDelete', 'exclusive', 'arguments']);
      if (options.exclusive) throw new Error(`queue ${name}: exclusive queues cannot be predefined`);
      declared.queues.push({
        name,
        vhost: VHOST,
        durable: options.durable ?? true,
        auto_delete: options.autoDelete ?? false,
        arguments: { ...options.arguments },
      });
      return { queue: name, messageCount: 0, consumerCount: 0 };
    },
    async bindQueue(queue, source, routingKey, args = {}) {
      declared.bindings.push({ source, vhost: VHOST, destination: queue, destination_type: 'queue', routing_key: routingKey, arguments: { ...args } });
      return {};
    },
  };
  await declareTopology(channel, topology);
  return declared;
}

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A permission regex over resource names, by exact name except for retry queues: those of a queue
 * are matched as `<queue>.retry.*`, so other retry delays (RETRY_DELAYS_MS) need no new
 * definitions. The default exchange is called `amq.default` in permissions.
 */
function permissionRegex(names, retryQueuePrefixes) {
  const patterns = new Set();
  for (const name of names) {
    const retryPrefix = retryQueuePrefixes.find((prefix) => name.startsWith(prefix));
    patterns.add(retryPrefix ? `${escapeRegex(retryPrefix)}.+` : escapeRegex(name === '' ? 'amq.default' : name));
  }
  return patterns.size ? `^(${[...patterns].join('|')})$` : '^$';
}

/**
 * Least permissions for a service that declares its own part of the topology (topologyFor: its
 * queues, the exchanges it publishes to); the definitions hold the whole topology, so a message
 * published before its consumer ever ran is kept:
 * - configure: every exchange and queue it declares;
 * - write: the exchanges it publishes to, the queues it binds (queue.bind needs write on the queue),
 *   and the dead-letter exchange of each queue it declares (RabbitMQ checks that at queue.declare);
 * - read: the exchanges it binds from, the queues it consumes and their dead-letter queues, and every queue it declares with a
 *   dead-letter exchange (RabbitMQ checks read on such a queue at queue.declare, because
 *   dead-lettering lets the declarer take messages out of it).
 */
function servicePermissions(service, declared, retryQueuePrefixes) {
  const deadLetterExchanges = declared.queues.map((q) => q.arguments['x-dead-letter-exchange']).filter((x) => x !== undefined);
  const queuesWithDeadLetterExchange = declared.queues.filter((q) => q.arguments['x-dead-letter-exchange'] !== undefined).map((q) => q.name);
  const configure = [...declared.exchanges.map((x) => x.name), ...declared.queues.map((q) => q.name)];
  const write = [...service.publishesTo, ...declared.bindings.map((b) => b.destination), ...deadLetterExchanges];
  // It also takes its own queues' dead letters into its database.
  const read = [...declared.bindings.map((b) => b.source), ...service.consumes, ...service.consumes.map((q) => `${q}.dlq`), ...queuesWithDeadLetterExchange];
  return {
    user: service.name,
    vhost: VHOST,
    configure: permissionRegex(configure, retryQueuePrefixes),
    write: permissionRegex(write, retryQueuePrefixes),
    read: permissionRegex(read, retryQueuePrefixes),
  };
}

/**
 * RabbitMQ's rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++ password)), 4-byte salt.
 * The salt is derived from the user name rather than random so that the file is reproducible and
 * `--check` can compare it; these are development passwords, documented in .env.example.
 */
function passwordHash(user, password) {
  const salt = createHash('sha256').update(`rabbitmq-definitions:${user}`).digest().subarray(0, 4);
  const digest = createHash('sha256')
    .update(Buffer.concat([salt, Buffer.from(password, 'utf8')]))
    .digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

function user(name, password, tags) {
  return { name, password_hash: passwordHash(name, password), hashing_algorithm: 'rabbit_password_hashing_sha256', tags, limits: {} };
}

const passwordFrom = (variable, fallback) => process.env[variable] || fallback;

export async function buildDefinitions() {
  const { contracts, messaging } = loadBuiltLibs();
  const declared = await recordTopology(messaging.declareTopology, contracts.TOPOLOGY);
  const services = serviceUsers(contracts);
  const declaredBy = new Map();
  for (const service of services) declaredBy.set(service.name, await recordTopology(messaging.declareTopology, contracts.topologyFor(service.name)));
  // `inventory.order-placed.retry.1s` -> `inventory.order-placed.retry.`: the naming rule of libs/messaging.
  const retryQueuePrefixes = contracts.TOPOLOGY.queues.map((queue) => messaging.retryQueueName(queue.name, 1000).replace(/[^.]+$/, ''));

  return {
    users: [
      user(ADMIN_USER, passwordFrom('RABBITMQ_ADMIN_PASSWORD', 'admin-dev-password'), ['administrator']),
      ...services.map((service) => user(service.name, passwordFrom(service.passwordVariable, service.defaultPassword), [])),
    ],
    vhosts: [{ name: VHOST, description: 'decoupled ordering', tags: [] }],
    permissions: [
      { user: ADMIN_USER, vhost: VHOST, configure: '.*', write: '.*', read: '.*' },
      ...services.map((service) => servicePermissions(service, declaredBy.get(service.name), retryQueuePrefixes)),
    ],
    topic_permissions: [],
    parameters: [],
    global_parameters: [],
    policies: [],
    exchanges: declared.exchanges,
    queues: declared.queues,
    bindings: declared.bindings,
  };
}

/** Formatted the way `prettier --check .` expects, so the generated file passes the lint. */
async function format(json) {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(outputFile)) ?? {};
  return prettier.format(json, { ...options, filepath: outputFile });
}

async function main() {
  const check = process.argv.includes('--check');
  const expected = await format(JSON.stringify(await buildDefinitions(), null, 2));
  const relative = path.relative(root, outputFile);
  if (check) {
    const actual = await readFile(outputFile, 'utf8').catch(() => '');
    if (actual !== expected) {
      console.error(
        `${relative} is out of date with the topology in libs/contracts and libs/messaging; run: pnpm build && node scripts/rabbitmq-definitions.mjs`,
      );
      process.exit(1);
    }
    console.log(`${relative} is up to date`);
    return;
  }
  await writeFile(outputFile, expected);
  console.log(`wrote ${relative}`);
}

// Also imported (scripts/k8s-manifests.mjs derives the Kubernetes topology from buildDefinitions).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err.message ?? err);
    process.exit(1);
  });
}
