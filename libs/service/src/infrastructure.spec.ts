import { ConfigError, loadConfig } from '@shop/platform';
import { serviceEnvSchema } from './config';
import { outboxOptions } from './infrastructure';

const config = (env: NodeJS.ProcessEnv) => loadConfig(serviceEnvSchema({ port: 3001, database: 'orders' }), env);

describe('outboxOptions', () => {
  it('keeps published outbox rows and inbox rows a week by default, each window its own variable', () => {
    expect(outboxOptions(config({}))).toMatchObject({ outboxRetentionHours: 168, inboxRetentionHours: 168 });
    expect(outboxOptions(config({ OUTBOX_RETENTION_HOURS: '12', INBOX_RETENTION_HOURS: '48' }))).toMatchObject({
      outboxRetentionHours: 12,
      inboxRetentionHours: 48,
    });
  });

  it('refuses an inbox window a redelivery could outlast, naming INBOX_RETENTION_HOURS', () => {
    // Two hours between attempts, five attempts: a message may come back ten hours after it was first applied.
    const env = { RETRY_DELAYS_MS: '60000,7200000', MAX_ATTEMPTS: '5' };
    expect(() => outboxOptions(config({ ...env, INBOX_RETENTION_HOURS: '10' }))).toThrow(ConfigError);
    expect(() => outboxOptions(config({ ...env, INBOX_RETENTION_HOURS: '10' }))).toThrow(
      /INBOX_RETENTION_HOURS: must be longer than a message can be redelivered/,
    );
    expect(outboxOptions(config({ ...env, INBOX_RETENTION_HOURS: '11' })).inboxRetentionHours).toBe(11);
  });
});
