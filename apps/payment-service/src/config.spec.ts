import { ConfigError } from '@shop/platform';
import { loadPaymentServiceConfig } from './config';

describe('the payment service configuration', () => {
  it('defaults to its own database, ports and the local provider stand-in', () => {
    expect(loadPaymentServiceConfig({})).toMatchObject({
      PORT: 3004,
      METRICS_PORT: 9467,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/payments',
      PAYMENT_PROVIDER_URL: 'http://127.0.0.1:4010',
      PAYMENT_PROVIDER_API_KEY: 'sk_test_shop',
      PAYMENT_PROVIDER_TIMEOUT_MS: 5_000,
      PAYMENT_CONCURRENCY: 8,
    });
  });

  it('drops a trailing slash of PAYMENT_PROVIDER_URL', () => {
    expect(loadPaymentServiceConfig({ PAYMENT_PROVIDER_URL: 'https://pay.example/' }).PAYMENT_PROVIDER_URL).toBe('https://pay.example');
  });

  it.each([
    [{ PAYMENT_PROVIDER_URL: 'ftp://pay.example' }, /PAYMENT_PROVIDER_URL: must be a URL starting with http:\/\/ or https:\/\//],
    [{ PAYMENT_PROVIDER_URL: '127.0.0.1:4010' }, /PAYMENT_PROVIDER_URL: must be a URL/],
    [{ PAYMENT_PROVIDER_API_KEY: '  ' }, /PAYMENT_PROVIDER_API_KEY: must be the secret API key/],
    [{ PAYMENT_PROVIDER_TIMEOUT_MS: '50' }, /PAYMENT_PROVIDER_TIMEOUT_MS: must be at least 100/],
    [{ PAYMENT_PROVIDER_TIMEOUT_MS: 'soon' }, /PAYMENT_PROVIDER_TIMEOUT_MS: /],
    [{ PAYMENT_PROVIDER_TIMEOUT_MS: '15000' }, /PAYMENT_PROVIDER_TIMEOUT_MS: must be less than half of DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS/],
    [{ PAYMENT_CONCURRENCY: '0' }, /PAYMENT_CONCURRENCY: must be at least 1/],
    [{ PAYMENT_CONCURRENCY: '20' }, /PAYMENT_CONCURRENCY: must be less than DATABASE_POOL_SIZE \(20\)/],
  ])('refuses %j at start, naming the variable', (environment, message) => {
    expect(() => loadPaymentServiceConfig(environment)).toThrow(ConfigError);
    expect(() => loadPaymentServiceConfig(environment)).toThrow(message);
  });
});
