import { ConfigError } from '@shop/platform';
import { loadOrderServiceConfig } from './config';

describe('order-service configuration', () => {
  it('caches catalog reads for 5 s unless told otherwise', () => {
    expect(loadOrderServiceConfig({}).CATALOG_CACHE_MS).toBe(5_000);
    expect(loadOrderServiceConfig({ CATALOG_CACHE_MS: '0' }).CATALOG_CACHE_MS).toBe(0);
  });

  it('refuses to start with a negative or non-numeric cache time, naming the variable', () => {
    for (const value of ['-1', 'soon']) {
      expect(() => loadOrderServiceConfig({ CATALOG_CACHE_MS: value })).toThrow(ConfigError);
      expect(() => loadOrderServiceConfig({ CATALOG_CACHE_MS: value })).toThrow(/CATALOG_CACHE_MS/);
    }
  });
});
