#!/usr/bin/env node
// `pnpm results:publish [e2e] [screenshots] [bench]`: copies the output of the last test or bench
// run (the ignored .runs/ folder) into the committed figures. Test and bench runs never change a
// tracked file themselves; updating what the READMEs show is this explicit step.
//
//   e2e          .runs/e2e/process.json        -> e2e/results/latest.json (compose.json beside it)
//   screenshots  .runs/screenshots/*.png       -> docs/screenshots/
//   bench        .runs/bench/{latest.json,intake.svg,baselines.svg,figures.md}
//                                              -> bench/results/ and the figures block of bench/README.md
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = join(root, '.runs');
const README_START = '<!-- bench:latest:start -->';
const README_END = '<!-- bench:latest:end -->';

function copy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  console.log(`${from.slice(root.length + 1)} -> ${to.slice(root.length + 1)}`);
}

const PUBLISHERS = {
  e2e() {
    const found = ['process', 'compose'].filter((driver) => existsSync(join(runs, 'e2e', `${driver}.json`)));
    for (const driver of found) copy(join(runs, 'e2e', `${driver}.json`), join(root, 'e2e/results', driver === 'process' ? 'latest.json' : 'compose.json'));
    return found.length > 0;
  },
  screenshots() {
    const dir = join(runs, 'screenshots');
    const pngs = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.png')) : [];
    for (const name of pngs) copy(join(dir, name), join(root, 'docs/screenshots', name));
    return pngs.length > 0;
  },
  async bench() {
    const dir = join(runs, 'bench');
    if (!existsSync(join(dir, 'latest.json'))) return false;
    for (const name of ['latest.json', 'intake.svg', 'baselines.svg'])
      if (existsSync(join(dir, name))) copy(join(dir, name), join(root, 'bench/results', name));
    const readme = join(root, 'bench/README.md');
    const text = readFileSync(readme, 'utf8');
    const start = text.indexOf(README_START);
    const end = text.indexOf(README_END);
    if (start < 0 || end < start) throw new Error(`bench/README.md has no ${README_START} … ${README_END} block`);
    const table = readFileSync(join(dir, 'figures.md'), 'utf8').trim();
    const updated = `${text.slice(0, start + README_START.length)}\n${table}\n${text.slice(end)}`;
    // Formatted as `prettier --check` expects, so the published file is committable as it is.
    writeFileSync(readme, await prettier.format(updated, { ...(await prettier.resolveConfig(readme)), filepath: readme }));
    console.log('.runs/bench/figures.md -> bench/README.md (latest figures)');
    return true;
  },
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in PUBLISHERS));
if (unknown.length > 0) {
  console.error(`unknown: ${unknown.join(', ')}; choose from ${Object.keys(PUBLISHERS).join(', ')}`);
  process.exit(2);
}
let published = 0;
for (const name of wanted.length > 0 ? wanted : Object.keys(PUBLISHERS)) {
  if (await PUBLISHERS[name]()) published++;
  else console.log(`${name}: nothing in .runs/ to publish (run the tests or the bench first)`);
}
process.exit(published > 0 ? 0 : 1);
