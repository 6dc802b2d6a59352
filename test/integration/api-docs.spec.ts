import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

describe('docs/api (the API documents, written by `pnpm api:docs`)', () => {
  it('holds the documents exactly as libs/contracts generates them', () => {
    // The generator runs on the built libs (dist) and compares each document with the committed file.
    const output = execFileSync(process.execPath, [join(__dirname, '../../scripts/api-docs.mjs'), '--check'], { encoding: 'utf8' });
    expect(output).toMatch(/docs\/api\/asyncapi\.yaml is up to date/);
  });
});
