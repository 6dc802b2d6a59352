import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

// The libs read top-down: a lib imports only the workspace libs below it, so the generic mechanisms
// (messaging, outbox) and the base (platform) know nothing of the shop, and only libs/service wires
// the shop's contracts into them. Apps sit above all of these and are not checked here.
const LIBS = resolve(__dirname, '../..');

/** The workspace libs each lib may import (tests may also use @shop/testing). */
const MAY_IMPORT: Record<string, string[]> = {
  contracts: [],
  platform: [],
  messaging: [],
  outbox: ['messaging', 'platform'],
  service: ['contracts', 'messaging', 'outbox', 'platform', 'telemetry'],
  telemetry: [],
  testing: [],
};
/** Contracts are shared with the browser: nothing but zod (and their own files). */
const CONTRACTS_MAY_IMPORT_PACKAGES = ['zod'];

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Every import specifier of a file: static, dynamic, re-exports and require. */
export function importsOf(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((match) => match[1]);
}

/** The workspace lib a specifier of `file` points at, or null for a package or a file of its own lib. */
function workspaceLibOf(file: string, specifier: string): string | null {
  const shop = /^@shop\/([^/]+)/.exec(specifier);
  if (shop) return shop[1];
  if (!specifier.startsWith('.')) return null;
  const [lib] = relative(LIBS, resolve(dirname(file), specifier)).split(sep);
  return lib === '..' ? 'outside libs/' : lib;
}

/** "file: specifier" for every import of `lib` that its layer forbids. */
function forbiddenImports(lib: string): string[] {
  const allowed = new Set([lib, ...MAY_IMPORT[lib]]);
  const root = join(LIBS, lib);
  return ['src', 'test'].flatMap((folder) =>
    sourceFiles(join(root, folder)).flatMap((file) => {
      const isTest = folder === 'test' || /\.spec\.tsx?$/.test(file);
      return importsOf(readFileSync(file, 'utf8'))
        .filter((specifier) => {
          const target = workspaceLibOf(file, specifier);
          if (target === null) return lib === 'contracts' && !CONTRACTS_MAY_IMPORT_PACKAGES.includes(specifier);
          return !allowed.has(target) && !(isTest && target === 'testing');
        })
        .map((specifier) => `${relative(LIBS, file)}: ${specifier}`);
    }),
  );
}

describe('layers', () => {
  it('names every workspace lib in the table, so a new one is placed in a layer on purpose', () => {
    const libs = readdirSync(LIBS, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(libs.sort()).toEqual(Object.keys(MAY_IMPORT).sort());
  });

  it.each(Object.keys(MAY_IMPORT))('libs/%s imports only the layers below it', (lib) => {
    expect(sourceFiles(join(LIBS, lib, 'src')).length).toBeGreaterThan(0);
    expect(forbiddenImports(lib)).toEqual([]);
  });

  it.each(Object.keys(MAY_IMPORT))('libs/%s declares no workspace dependency its layer forbids', (lib) => {
    const manifest = JSON.parse(readFileSync(join(LIBS, lib, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const declared = (field: string) => Object.keys(manifest[field] ?? {}).filter((name) => name.startsWith('@shop/'));
    const allowed = MAY_IMPORT[lib].map((name) => `@shop/${name}`);
    expect(declared('dependencies').filter((name) => !allowed.includes(name))).toEqual([]);
    expect(declared('devDependencies').filter((name) => !allowed.includes(name) && name !== '@shop/testing')).toEqual([]);
  });

  it('finds imports of every form', () => {
    const source = [
      "import { a } from '@shop/contracts';",
      "import type { B } from '../../messaging/src';",
      "export * from './own';",
      "import 'reflect-metadata';",
      "const c = require('@shop/outbox');",
      "const d = await import('@shop/service');",
      'import {\n  e,\n  f,\n} from "@shop/platform";',
    ].join('\n');
    expect(importsOf(source)).toEqual([
      '@shop/contracts',
      '../../messaging/src',
      './own',
      'reflect-metadata',
      '@shop/outbox',
      '@shop/service',
      '@shop/platform',
    ]);
  });
});
