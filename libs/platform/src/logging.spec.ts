import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp } from './http-app';
import { loggingModule, redactQueryValues } from './logging';

@Controller('api/orders')
class EchoController {
  @Get()
  list() {
    return [];
  }
}

describe('the request log', () => {
  const lines: string[] = [];
  let logged: (line: string) => void = () => undefined;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const destination = {
      write: (line: string) => {
        lines.push(line);
        logged(line);
      },
    };
    @Module({ imports: [loggingModule('info', 'log-test', destination)], controllers: [EchoController] })
    class LogTestModule {}
    app = await createHttpApp(LogTestModule);
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app.close();
  });

  it('never holds a query string value, an Authorization header or a cookie of a real request', async () => {
    const requestLogged = new Promise<void>((resolve) => {
      logged = (line) => line.includes('"request completed"') && resolve();
    });
    const response = await fetch(`${await app.getUrl()}/api/orders?token=query-secret-1&email=ada%40example.com&flag`, {
      headers: { authorization: 'Bearer header-secret-2', cookie: 'session=cookie-secret-3', 'proxy-authorization': 'Basic proxy-secret-4' },
    });
    expect(response.status).toBe(200);
    await requestLogged;

    const output = lines.join('');
    for (const secret of ['query-secret-1', 'ada', 'header-secret-2', 'cookie-secret-3', 'proxy-secret-4']) expect(output).not.toContain(secret);
    const request = JSON.parse(lines.find((line) => line.includes('"request completed"'))!).req;
    expect(request.url).toBe('/api/orders?token=[Redacted]&email=[Redacted]&flag=[Redacted]');
    expect(request.headers).toMatchObject({ authorization: '[Redacted]', cookie: '[Redacted]', 'proxy-authorization': '[Redacted]' });
  });

  it.each([
    ['/api/orders', '/api/orders'],
    ['/api/orders?', '/api/orders?'],
    ['/a?x=1&y=2=3', '/a?x=[Redacted]&y=[Redacted]'],
  ])('redactQueryValues(%s) = %s', (url, redacted) => {
    expect(redactQueryValues(url)).toBe(redacted);
  });
});
