import { ConfigError, loadConfig } from '@shop/platform';
import { serviceEnvSchema } from './config';

const schema = serviceEnvSchema({ port: 3001, database: 'orders' });

describe('loadConfig', () => {
  it('defaults to the local PostgreSQL and RabbitMQ, so no file is needed', () => {
    const config = loadConfig(schema, {});
    expect(config).toMatchObject({
      PORT: 3001,
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/orders',
      RABBITMQ_URL: ['amqp://guest:guest@127.0.0.1:5672'],
      RETRY_DELAYS_MS: [1000, 5000, 30000],
      MAX_ATTEMPTS: 5,
    });
  });

  it('names every variable that is wrong', () => {
    expect(() => loadConfig(schema, { PORT: 'eighty', RABBITMQ_URL: 'http://broker', RETRY_DELAYS_MS: '1000,soon' })).toThrow(ConfigError);
    try {
      loadConfig(schema, { PORT: 'eighty', RABBITMQ_URL: 'http://broker', RETRY_DELAYS_MS: '1000,soon' });
    } catch (err) {
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^PORT: /m);
      expect(problems).toMatch(/^RABBITMQ_URL: must be one URL or a comma-separated list of URLs, each starting with amqp:\/\/ or amqps:\/\//m);
      expect(problems).toMatch(/^RETRY_DELAYS_MS: must be a comma-separated list/m);
      expect(problems).not.toMatch(/DATABASE_URL/);
    }
  });

  it('takes one broker URL per node of a cluster, and refuses a list with one bad entry', () => {
    const nodes = 'amqp://u:p@rabbitmq-1:5672/shop, amqp://u:p@rabbitmq-2:5672/shop,amqp://u:p@rabbitmq-3:5672/shop';
    expect(loadConfig(schema, { RABBITMQ_URL: nodes }).RABBITMQ_URL).toEqual([
      'amqp://u:p@rabbitmq-1:5672/shop',
      'amqp://u:p@rabbitmq-2:5672/shop',
      'amqp://u:p@rabbitmq-3:5672/shop',
    ]);
    expect(() => loadConfig(schema, { RABBITMQ_URL: 'amqp://rabbitmq-1:5672,rabbitmq-2:5672' })).toThrow(
      /RABBITMQ_URL: must be one URL or a comma-separated list/,
    );
    expect(() => loadConfig(schema, { RABBITMQ_URL: ' , ' })).toThrow(/RABBITMQ_URL/);
  });
});
