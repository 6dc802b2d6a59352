/**
 * What createHttpApp does for every route of every service, on a real Fastify app: a query string or
 * path that is not valid percent-encoded UTF-8 is a 400 naming what to fix, and X-Forwarded-For names
 * the client only when a proxy HTTP_TRUSTED_PROXIES names sent it.
 */
import { Controller, Get, Module, Param, Query, Req } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createHttpApp, httpServerEnv } from '../src/http-app';
import { loggingModule } from '../src/logging';

@Controller('things')
class ThingsController {
  @Get()
  search(@Query() query: Record<string, unknown>): unknown {
    return { query };
  }

  @Get('client')
  client(@Req() request: FastifyRequest): unknown {
    return { ip: request.ip };
  }

  @Get(':id')
  one(@Param('id') id: string): unknown {
    return { id };
  }
}

@Module({ imports: [loggingModule('silent', 'http-app-test')], controllers: [ThingsController] })
class ThingsModule {}

async function startApp(env: NodeJS.ProcessEnv = {}): Promise<NestFastifyApplication> {
  const app = await createHttpApp(ThingsModule, { server: z.object(httpServerEnv).parse(env) });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('createHttpApp', () => {
  describe('percent-encoding', () => {
    let app: NestFastifyApplication;
    beforeAll(async () => {
      app = await startApp();
    });
    afterAll(() => app.close());

    const get = (url: string) => app.inject({ method: 'GET', url });

    it('decodes a valid query string', async () => {
      const response = await get('/things?q=stoneware%20mug%E2%82%AC&tag=a+b');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ query: { q: 'stoneware mug€', tag: 'a b' } });
    });

    it.each([
      ['an invalid byte', '/things?q=stoneware%20mug%FF', 'q'],
      ['a truncated sequence', '/things?page=1&q=%E2%82', 'q'],
      ['an escape cut short', '/things?q=mug%2', 'q'],
      ['an encoded surrogate', '/things?q=%ED%A0%80', 'q'],
      ['an undecodable name, named as sent', '/things?q%FF=mug', 'q%FF'],
      ['an escape in a path parameter', '/things/%FF', 'path'],
    ])('answers 400 to %s, naming the field', async (_case, url, field) => {
      const response = await get(url);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: `${field}: is not valid percent-encoded UTF-8`,
        issues: [{ field, message: 'is not valid percent-encoded UTF-8' }],
      });
      if (field !== 'path') expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    });
  });

  describe('X-Forwarded-For', () => {
    const apps: NestFastifyApplication[] = [];
    afterAll(() => Promise.all(apps.map((app) => app.close())));

    async function clientSeen(env: NodeJS.ProcessEnv, from: string, forwardedFor?: string): Promise<string> {
      const app = await startApp(env);
      apps.push(app);
      const response = await app.inject({
        method: 'GET',
        url: '/things/client',
        remoteAddress: from,
        headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
      });
      expect(response.statusCode).toBe(200);
      return response.json<{ ip: string }>().ip;
    }

    it('is ignored by default, from a private or a loopback address alike: the client is the socket', async () => {
      expect(await clientSeen({}, '10.1.2.3', '203.0.113.9')).toBe('10.1.2.3');
      expect(await clientSeen({}, '127.0.0.1', '203.0.113.9')).toBe('127.0.0.1');
    });

    it('is believed from the proxy HTTP_TRUSTED_PROXIES names, and only from it', async () => {
      const env = { HTTP_TRUSTED_PROXIES: '10.1.2.3' };
      expect(await clientSeen(env, '10.1.2.3', '203.0.113.9')).toBe('203.0.113.9');
      expect(await clientSeen(env, '10.1.2.4', '203.0.113.9')).toBe('10.1.2.4');
      expect(await clientSeen({ HTTP_TRUSTED_PROXIES: '172.16.0.0/12' }, '172.18.0.5', '203.0.113.9')).toBe('203.0.113.9');
    });
  });
});
