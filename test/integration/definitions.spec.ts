import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

describe('infra/rabbitmq/definitions.json (loaded by RabbitMQ in docker-compose)', () => {
  it('declares the topology exactly as the services do', () => {
    // The generator replays libs/messaging's declareTopology (built dist) and compares with the committed file.
    const output = execFileSync(process.execPath, [join(__dirname, '../../scripts/rabbitmq-definitions.mjs'), '--check'], { encoding: 'utf8' });
    expect(output).toMatch(/is up to date/);
  });
});
