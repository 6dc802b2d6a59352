#!/usr/bin/env node
/**
 * Writes the API documents generated from libs/contracts into docs/api/, where README links them.
 * Nothing in them is written by hand: change a zod schema (or the endpoint table in
 * libs/contracts/src/openapi.ts) and run this again.
 *
 *   pnpm api:docs                            # pnpm build, then (re)writes every document
 *   node scripts/api-docs.mjs --check        # exits 1 when a committed document is out of date
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function contracts() {
  try {
    return require('../libs/contracts/dist');
  } catch (err) {
    throw new Error(`cannot load libs/contracts/dist (run \`pnpm build\` first): ${err.message}`, { cause: err });
  }
}

/** JSON as the repository's Prettier writes it, so `pnpm lint` finds the generated files as they are. */
async function json(file, document) {
  const prettier = require('prettier');
  const options = await prettier.resolveConfig(path.join(root, file));
  return prettier.format(JSON.stringify(document), { ...options, filepath: file });
}

/** Each document: its file, and what writes it. */
const DOCUMENTS = [['docs/api/openapi.json', (file) => json(file, contracts().openApiDocument())]];

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, generate] of DOCUMENTS) {
  const target = path.join(root, file);
  const generated = await generate(file);
  if (check) {
    const committed = await readFile(target, 'utf8').catch(() => '');
    if (committed === generated) console.log(`${file} is up to date`);
    else {
      console.error(`${file} is out of date: run \`pnpm api:docs\` and commit it`);
      stale++;
    }
  } else {
    await writeFile(target, generated);
    console.log(`wrote ${file}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
