import { z } from 'zod';
import { ConfigError } from './config';
import { httpServerEnv, httpServerOptions } from './http-app';

const settings = (env: NodeJS.ProcessEnv) => z.object(httpServerEnv).parse(env);

describe('httpServerOptions', () => {
  it('sets every server timeout deliberately, with defaults', () => {
    expect(httpServerOptions()).toMatchObject({
      http: { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 },
      requestTimeout: 30_000,
      keepAliveTimeout: 72_000,
      connectionTimeout: 60_000,
      trustProxy: false,
    });
  });

  it('takes the trusted proxies from HTTP_TRUSTED_PROXIES', () => {
    expect(httpServerOptions(settings({ HTTP_TRUSTED_PROXIES: 'loopback' })).trustProxy).toBe('loopback');
  });

  it('takes them from the HTTP_* variables; "none" trusts no proxy', () => {
    const options = httpServerOptions(
      settings({
        HTTP_HEADERS_TIMEOUT_MS: '200',
        HTTP_REQUEST_TIMEOUT_MS: '400',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '5000',
        HTTP_IDLE_TIMEOUT_MS: '9000',
        HTTP_TRUSTED_PROXIES: 'none',
      }),
    );
    expect(options).toMatchObject({
      http: { headersTimeout: 200, requestTimeout: 400, connectionsCheckingInterval: 200 },
      requestTimeout: 400,
      keepAliveTimeout: 5_000,
      connectionTimeout: 9_000,
      trustProxy: false,
    });
  });

  it('refuses a headers timeout longer than the request timeout, naming the variable', () => {
    const tooLong = settings({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' });
    expect(() => httpServerOptions(tooLong)).toThrow(ConfigError);
    expect(() => httpServerOptions(tooLong)).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
  });

  it('refuses a timeout that is not a positive whole number, naming the variable', () => {
    expect(() => settings({ HTTP_REQUEST_TIMEOUT_MS: '0' })).toThrow(/HTTP_REQUEST_TIMEOUT_MS/);
  });
});
