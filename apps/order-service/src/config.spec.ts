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

  it('stores up to 64 concurrent orders per statement unless told otherwise; 1 is one statement per order', () => {
    expect(loadOrderServiceConfig({}).INTAKE_BATCH_MAX).toBe(64);
    expect(loadOrderServiceConfig({ INTAKE_BATCH_MAX: '1' }).INTAKE_BATCH_MAX).toBe(1);
  });

  it.each(['0', '-4', '2.5', 'many', '5000'])('refuses to start with INTAKE_BATCH_MAX=%s, naming the variable', (value) => {
    expect(() => loadOrderServiceConfig({ INTAKE_BATCH_MAX: value })).toThrow(ConfigError);
    expect(() => loadOrderServiceConfig({ INTAKE_BATCH_MAX: value })).toThrow(/INTAKE_BATCH_MAX: must/);
  });

  it('links traces only when TRACE_URL_TEMPLATE is set (empty is unset)', () => {
    expect(loadOrderServiceConfig({}).TRACE_URL_TEMPLATE).toBeUndefined();
    expect(loadOrderServiceConfig({ TRACE_URL_TEMPLATE: '' }).TRACE_URL_TEMPLATE).toBeUndefined();
    const template = 'http://localhost:16686/trace/{traceId}';
    expect(loadOrderServiceConfig({ TRACE_URL_TEMPLATE: template }).TRACE_URL_TEMPLATE).toBe(template);
    expect(loadOrderServiceConfig({ TRACE_URL_TEMPLATE: 'https://grafana.example/explore?traceId={traceId}' }).TRACE_URL_TEMPLATE).toBeDefined();
  });

  it.each([
    ['no {traceId} in it', 'http://localhost:16686/trace/'],
    ['not a URL', 'jaeger {traceId}'],
    ['neither http nor https', 'javascript:alert("{traceId}")'],
    ['a placeholder spelt otherwise', 'http://localhost:16686/trace/{traceid}'],
  ])('refuses to start with a TRACE_URL_TEMPLATE that is %s, naming the variable', (_what, value) => {
    expect(() => loadOrderServiceConfig({ TRACE_URL_TEMPLATE: value })).toThrow(ConfigError);
    expect(() => loadOrderServiceConfig({ TRACE_URL_TEMPLATE: value })).toThrow(
      /TRACE_URL_TEMPLATE: must be an http:\/\/ or https:\/\/ URL containing \{traceId\}/,
    );
  });
});
