#!/usr/bin/env node
// `pnpm stack`: the whole shop as processes on this machine's PostgreSQL and RabbitMQ.
// Creates the databases if missing, builds, and starts order-service (3001), inventory-service
// (3002), notification-service (3003), payment-service (3004), the card processor's stand-in
// (payment-provider, 4010, its own database), MailDev (SMTP 127.0.0.1:1025, the inbox of every
// email the shop sends at http://127.0.0.1:1080) and the storefront (http://127.0.0.1:8080) with
// prefixed, readable logs.
//
// While it runs, type a command and Enter to stop or start one service (the decoupling demo):
//   stop inventory     SIGTERM: a graceful stop          kill inventory    SIGKILL: a crash
//   start inventory    starts it again                   status            what runs, with pids
// Names: orders, inventory, notifications, payments, provider, maildev, storefront. Ctrl-C (or `quit`) stops
// everything, restarted ones too.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { prettyFactory } from 'pino-pretty';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const adminUrl = process.env.STACK_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const databaseUrl = (name) => Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
const storefrontPort = process.env.STOREFRONT_PORT ?? '8080';
/** The operators' token of every service (the console at /operations, `pnpm ops`); set ADMIN_TOKEN to choose another. */
const adminToken = process.env.ADMIN_TOKEN ?? 'dev-admin-token-change-me';
/** How long a stopped service may take to finish in-flight work before it is killed. */
const STOP_GRACE_MS = 10_000;
/** The card processor stand-in's address and key; payment-service and the storefront's proxy use them. */
const providerPort = process.env.PAYMENT_PROVIDER_PORT ?? '4010';
const providerUrl = `http://127.0.0.1:${providerPort}`;
const providerApiKey = process.env.PAYMENT_PROVIDER_API_KEY ?? 'sk_test_shop';
/** The proxy in front of the services: the storefront's (vite preview), on loopback. Its X-Forwarded-For names the client. */
const behindStorefront = { HTTP_TRUSTED_PROXIES: 'loopback' };

const SERVICES = {
  orders: {
    color: 36,
    args: ['apps/order-service/dist/main.js'],
    env: {
      ...behindStorefront,
      PORT: '3001',
      DATABASE_URL: databaseUrl('orders'),
      ADMIN_TOKEN: adminToken,
      // Kept across restarts of the stack's order-service (`restart orders`), so a placed order's cancel capability still works.
      CANCEL_TOKEN_SECRET: process.env.CANCEL_TOKEN_SECRET ?? 'dev-cancel-token-secret-change-me-0123456789',
    },
  },
  inventory: {
    color: 35,
    args: ['apps/inventory-service/dist/main.js'],
    env: { ...behindStorefront, PORT: '3002', DATABASE_URL: databaseUrl('inventory'), ADMIN_TOKEN: adminToken },
  },
  // The mail catcher, from npm (a root devDependency); its web UI and API on 127.0.0.1 only.
  maildev: {
    color: 33,
    args: ['node_modules/maildev/dist/bin/maildev.js', '--smtp', '1025', '--ip', '127.0.0.1', '--web', '1080', '--web-ip', '127.0.0.1'],
    env: {},
  },
  notifications: {
    color: 34,
    args: ['apps/notification-service/dist/main.js'],
    env: {
      ...behindStorefront,
      PORT: '3003',
      DATABASE_URL: databaseUrl('notifications'),
      SMTP_URL: 'smtp://127.0.0.1:1025',
      SHOP_URL: `http://127.0.0.1:${storefrontPort}`,
      ADMIN_TOKEN: adminToken,
    },
  },
  // The outside card processor's stand-in: not a shop service, its own database (payment_provider).
  provider: {
    color: 31,
    args: ['apps/payment-provider/dist/main.js'],
    env: { PORT: providerPort, PROVIDER_DATABASE_URL: databaseUrl('payment_provider'), PROVIDER_API_KEY: providerApiKey },
  },
  payments: {
    color: 94,
    args: ['apps/payment-service/dist/main.js'],
    env: {
      ...behindStorefront,
      PORT: '3004',
      DATABASE_URL: databaseUrl('payments'),
      PAYMENT_PROVIDER_URL: providerUrl,
      PAYMENT_PROVIDER_API_KEY: providerApiKey,
      ADMIN_TOKEN: adminToken,
    },
  },
  storefront: {
    color: 32,
    cwd: join(root, 'apps/storefront'),
    args: ['node_modules/vite/bin/vite.js', 'preview', '--port', storefrontPort],
    env: {
      ORDER_URL: 'http://127.0.0.1:3001',
      INVENTORY_URL: 'http://127.0.0.1:3002',
      NOTIFICATION_URL: 'http://127.0.0.1:3003',
      PAYMENT_URL: 'http://127.0.0.1:3004',
      // The storefront proxies /payment-provider/ to the provider stand-in.
      PAYMENT_PROVIDER_URL: providerUrl,
    },
  },
};

async function createDatabasesIfMissing(names) {
  const client = new pg.Client({ connectionString: adminUrl });
  try {
    await client.connect();
  } catch (err) {
    console.error(`pnpm stack needs PostgreSQL at ${new URL(adminUrl).host} (STACK_ADMIN_DATABASE_URL): ${err.message}`);
    process.exit(1);
  }
  for (const name of names) {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      console.log(`created database ${name}`);
    }
  }
  await client.end();
}

function step(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const prettify = prettyFactory({ singleLine: true, colorize: process.stdout.isTTY, ignore: 'pid,hostname,req,res,service' });
const say = (name, line) => {
  const color = SERVICES[name]?.color ?? 37;
  const prefix = process.stdout.isTTY ? `\x1b[${color}m[${name.padEnd(10)}]\x1b[0m` : `[${name.padEnd(10)}]`;
  process.stdout.write(`${prefix} ${line.replace(/\n$/, '')}\n`);
};

/** The running child of each service, or undefined; each is its own node process, never a shell. */
const running = {};
let quitting = false;

function start(name) {
  if (running[name]) return say('stack', `${name} is already running (pid ${running[name].pid})`);
  const child = spawn(process.execPath, SERVICES[name].args, {
    cwd: SERVICES[name].cwd ?? root,
    env: { ...process.env, ...SERVICES[name].env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running[name] = child;
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (line) => say(name, prettify(line)));
  child.on('exit', (code, signal) => {
    if (running[name] === child) delete running[name];
    if (!quitting) say('stack', `${name} stopped (${signal ?? `exit code ${code}`}); type \`start ${name}\` to start it again`);
  });
  say('stack', `${name} started (pid ${child.pid})`);
}

function stop(name, signal) {
  const child = running[name];
  if (!child) return Promise.resolve(say('stack', `${name} is not running`));
  return new Promise((resolve) => {
    const timer = signal === 'SIGKILL' ? null : setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => resolve(clearTimeout(timer)));
    child.kill(signal);
  });
}

async function quit() {
  if (quitting) return;
  quitting = true;
  await Promise.all(Object.keys(running).map((name) => stop(name, 'SIGTERM')));
  process.exit(0);
}

const COMMANDS = {
  start: (name) => start(name),
  stop: (name) => stop(name, 'SIGTERM'),
  kill: (name) => stop(name, 'SIGKILL'),
  restart: async (name) => {
    await stop(name, 'SIGTERM');
    start(name);
  },
};

function command(line) {
  const [verb, name] = line.trim().split(/\s+/);
  if (!verb) return;
  if (verb === 'quit' || verb === 'exit') return quit();
  if (verb === 'status') {
    for (const service of Object.keys(SERVICES)) say('stack', `${service}: ${running[service] ? `running, pid ${running[service].pid}` : 'stopped'}`);
    return;
  }
  if (!(verb in COMMANDS) || !(name in SERVICES)) {
    return say('stack', `commands: start|stop|kill|restart <${Object.keys(SERVICES).join('|')}>, status, quit`);
  }
  return COMMANDS[verb](name);
}

await createDatabasesIfMissing(['orders', 'inventory', 'notifications', 'payments', 'payment_provider']);
step('pnpm', ['build']);
step('pnpm', ['--filter', '@shop/storefront', 'build']);

process.on('SIGINT', quit);
process.on('SIGTERM', quit);
for (const name of Object.keys(SERVICES)) start(name);
createInterface({ input: process.stdin }).on('line', command);
console.log(
  `\nThe shop: http://127.0.0.1:${storefrontPort}   its emails: http://127.0.0.1:1080   (type \`stop inventory\`, \`start inventory\`, \`status\`; Ctrl-C stops everything)\n`,
);
