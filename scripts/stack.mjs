#!/usr/bin/env node
// `pnpm stack`: the whole shop as processes on this machine's PostgreSQL and RabbitMQ.
// Creates the databases if missing, builds, and starts order-service (3001), inventory-service
// (3002) and the storefront (http://127.0.0.1:8080) with prefixed, readable logs. Ctrl-C stops all.
// Each service runs its migrations at start; each can also run alone, e.g.
//   pnpm --filter @shop/inventory-service start
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import concurrently from 'concurrently';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const adminUrl = process.env.STACK_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const databaseUrl = (name) => Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
const storefrontPort = process.env.STOREFRONT_PORT ?? '8080';

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

await createDatabasesIfMissing(['orders', 'inventory']);
step('pnpm', ['build']);
step('pnpm', ['--filter', '@shop/storefront', 'build']);

const pretty = 'pnpm exec pino-pretty --singleLine --colorize --ignore pid,hostname,req,res,service';
const { result } = concurrently(
  [
    { name: 'orders', command: `node apps/order-service/dist/main.js | ${pretty}`, env: { PORT: '3001', DATABASE_URL: databaseUrl('orders') } },
    { name: 'inventory', command: `node apps/inventory-service/dist/main.js | ${pretty}`, env: { PORT: '3002', DATABASE_URL: databaseUrl('inventory') } },
    {
      name: 'storefront',
      command: `pnpm --filter @shop/storefront exec vite preview --port ${storefrontPort}`,
      env: { ORDER_URL: 'http://127.0.0.1:3001', INVENTORY_URL: 'http://127.0.0.1:3002' },
    },
  ],
  { cwd: root, prefix: 'name', prefixColors: ['cyan', 'magenta', 'green'], handleInput: false },
);
console.log(`\nThe shop: http://127.0.0.1:${storefrontPort}   (Ctrl-C stops everything)\n`);
result.then(
  () => process.exit(0),
  () => process.exit(0),
);
