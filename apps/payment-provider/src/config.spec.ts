import { ConfigError, loadProviderConfig } from './config';

describe('loadProviderConfig', () => {
  it('runs without any variable, on localhost defaults', () => {
    expect(loadProviderConfig({})).toEqual({
      PORT: 4010,
      HOST: '127.0.0.1',
      PROVIDER_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/payment_provider',
      PROVIDER_API_KEY: 'sk_test_shop',
      PROVIDER_HANG_MS: 30_000,
      LOG_LEVEL: 'info',
    });
  });

  it.each([
    [{ PORT: 'http' }, 'PORT'],
    [{ PROVIDER_DATABASE_URL: 'mysql://localhost/provider' }, 'PROVIDER_DATABASE_URL'],
    [{ PROVIDER_API_KEY: '' }, 'PROVIDER_API_KEY'],
    [{ PROVIDER_HANG_MS: '-1' }, 'PROVIDER_HANG_MS'],
  ])('%j fails naming %s', (environment, variable) => {
    expect(() => loadProviderConfig(environment)).toThrow(ConfigError);
    expect(() => loadProviderConfig(environment)).toThrow(new RegExp(`- ${variable}: `));
  });
});
