#!/usr/bin/env node
/**
 * Writes the API documents generated from libs/contracts (the zod schemas and the route table):
 *
 *   docs/api/openapi.json    the HTTP API (OpenAPI 3.1), from openApiDocument(): the endpoint table in
 *                            libs/contracts/src/openapi.ts and the zod schemas it names
 *   docs/api/asyncapi.yaml   the events (AsyncAPI 3), from asyncApiDocument() with libs/messaging's conventions
 *
 * Nothing in them is written by hand: change a zod schema (or a table) and run this again.
 *
 *   pnpm api:docs                          # builds, then (re)writes every document
 *   node scripts/api-docs.mjs --check      # exits 1 when a checked-in document is out of date
 *
 * Each document is formatted the way `prettier --check .` expects, so the generated files pass the lint.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function loadBuiltLibs() {
  try {
    return { contracts: require('../libs/contracts/dist'), messaging: require('../libs/messaging/dist') };
  } catch (err) {
    throw new Error(`cannot load libs/contracts/dist or libs/messaging/dist (run \`pnpm build\` first): ${err.message}`, { cause: err });
  }
}

/** The events: the route table, with what libs/messaging puts on the wire (headers, retry and dead-letter queues). */
function asyncApi() {
  const { contracts, messaging } = loadBuiltLibs();
  return contracts.asyncApiDocument(messaging.MESSAGING_CONVENTIONS);
}

/** The HTTP API of every service. */
function openApi() {
  return loadBuiltLibs().contracts.openApiDocument();
}

/** [file, generator]: each generator returns the document; the file's extension says how it is written. */
const DOCUMENTS = [
  ['docs/api/openapi.json', openApi],
  ['docs/api/asyncapi.yaml', asyncApi],
];

async function render(file, document) {
  const filepath = path.join(root, file);
  const text = file.endsWith('.yaml')
    ? (await import('yaml')).stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 })
    : JSON.stringify(document, null, 2);
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(text, { ...options, filepath });
}

async function main() {
  const check = process.argv.includes('--check');
  const stale = [];
  for (const [file, generate] of DOCUMENTS) {
    const expected = await render(file, generate());
    const filepath = path.join(root, file);
    if (check) {
      const actual = await readFile(filepath, 'utf8').catch(() => '');
      if (actual === expected) console.log(`${file} is up to date`);
      else stale.push(file);
      continue;
    }
    await mkdir(path.dirname(filepath), { recursive: true });
    await writeFile(filepath, expected);
    console.log(`wrote ${file}`);
  }
  if (stale.length > 0) {
    console.error(`${stale.join(', ')} out of date with libs/contracts; run: pnpm api:docs`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err.message ?? err);
  process.exit(1);
});
