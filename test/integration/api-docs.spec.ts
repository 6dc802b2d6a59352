import { openApiDocument } from '@shop/contracts';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('docs/api (written by `pnpm api:docs` from libs/contracts)', () => {
  it('holds the OpenAPI document the contracts generate', () => {
    expect(JSON.parse(readFileSync(join(__dirname, '../../docs/api/openapi.json'), 'utf8'))).toEqual(openApiDocument());
  });

  it('is byte for byte what the generator writes (built dist)', () => {
    const output = execFileSync(process.execPath, [join(__dirname, '../../scripts/api-docs.mjs'), '--check'], { encoding: 'utf8' });
    expect(output).toMatch(/openapi\.json is up to date/);
  });
});
