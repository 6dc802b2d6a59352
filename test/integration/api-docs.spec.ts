import { openApiDocument } from '@shop/contracts';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('docs/api (the API documents, written by `pnpm api:docs` from libs/contracts)', () => {
  it('holds the OpenAPI document the contracts generate', () => {
    expect(JSON.parse(readFileSync(join(__dirname, '../../docs/api/openapi.json'), 'utf8'))).toEqual(openApiDocument());
  });

  it('holds both documents byte for byte as the generator writes them (built dist)', () => {
    const output = execFileSync(process.execPath, [join(__dirname, '../../scripts/api-docs.mjs'), '--check'], { encoding: 'utf8' });
    expect(output).toMatch(/docs\/api\/openapi\.json is up to date/);
    expect(output).toMatch(/docs\/api\/asyncapi\.yaml is up to date/);
  });
});
