import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The operators' console is its own chunk: shoppers never download it. Rollup puts a module in the
 * entry chunk as soon as one module of the shop imports it statically, so no module outside
 * src/operations/ may name it in a static import; app.tsx reaches it through a dynamic import() only.
 */
const SRC = dirname(fileURLToPath(import.meta.url));
const OPERATIONS = join(SRC, 'operations');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** The relative specifiers a module imports or re-exports statically (`import type` included: harmless, but keeps the rule simple). */
function staticImports(source: string): string[] {
  const pattern = /^\s*(?:import|export)\s+(?:[^'"]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;
  return [...source.matchAll(pattern)].map((match) => match[1]);
}

describe('the shop bundle', () => {
  it('reads static imports and leaves dynamic ones alone', () => {
    const source = `import { a } from './a';\nimport './b.css';\nexport { c } from '../c';\nimport {\n  d,\n} from './d';\nconst e = lazy(() => import('./e'));`;
    expect(staticImports(source)).toEqual(['./a', './b.css', '../c', './d']);
  });

  it('imports nothing of the operators console statically outside src/operations/', () => {
    const offenders = sourceFiles(SRC)
      .filter((file) => !file.startsWith(OPERATIONS + '/'))
      .flatMap((file) =>
        staticImports(readFileSync(file, 'utf8'))
          .filter((specifier) => resolve(dirname(file), specifier).startsWith(OPERATIONS))
          .map((specifier) => `${relative(SRC, file)} imports ${specifier}`),
      );
    expect(offenders).toEqual([]);
  });

  it('loads the operators page with a dynamic import', () => {
    expect(readFileSync(join(SRC, 'app.tsx'), 'utf8')).toMatch(/lazy\(\s*\(\)\s*=>\s*import\('\.\/operations\/operations-page'\)/);
  });
});
