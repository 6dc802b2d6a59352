import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startTelemetry, telemetryConfigErrors, tracingRequested } from './start-telemetry';

interface ResourceSpans {
  resource: { attributes: { key: string; value: { stringValue?: string } }[] };
  scopeSpans: { spans: { name: string }[] }[];
}

/** Runs a script with node and only `env` (and PATH): its exit code and what it wrote. */
function runNode(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script], { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

describe('tracingRequested: nothing is exported unless the standard variables ask for it', () => {
  it.each<[string, NodeJS.ProcessEnv, boolean]>([
    ['no variable', {}, false],
    ['an empty endpoint (compose passes one when unset)', { OTEL_EXPORTER_OTLP_ENDPOINT: '' }, false],
    ['an OTLP endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }, true],
    ['a traces-only endpoint', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces' }, true],
    ['an exporter named', { OTEL_TRACES_EXPORTER: 'console' }, true],
    ['the exporter none', { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }, false],
    ['the SDK disabled', { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }, false],
  ])('%s', (_, env, expected) => {
    expect(tracingRequested(env)).toBe(expected);
  });
});

describe('telemetryConfigErrors: a bad variable is named, not silently replaced by a default', () => {
  it.each<[string, NodeJS.ProcessEnv, string[]]>([
    ['nothing set', {}, []],
    [
      'a good configuration',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
      [],
    ],
    ['an endpoint without scheme', { OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' }, ['OTEL_EXPORTER_OTLP_ENDPOINT']],
    ['a traces endpoint that is no URL', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'nowhere' }, ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']],
    ['an unknown protocol', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' }, ['OTEL_EXPORTER_OTLP_PROTOCOL']],
    ['a misspelt sampler', { OTEL_TRACES_SAMPLER: 'parentbased_alwayson' }, ['OTEL_TRACES_SAMPLER']],
    ['a ratio above 1', { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '10' }, ['OTEL_TRACES_SAMPLER_ARG']],
  ])('%s', (_, env, variables) => {
    const errors = telemetryConfigErrors(env);
    expect(errors.map((error) => error.split(':')[0])).toEqual(variables);
  });
});

describe('startTelemetry', () => {
  it('starts nothing without an endpoint', () => {
    expect(startTelemetry('test-service', {})).toBeNull();
  });

  it("exports a process's spans, with its service name, to the OTLP endpoint it is given; traces only", async () => {
    const bodies: { url?: string; body: string }[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        bodies.push({ url: request.url, body });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { code, output } = await runNode(join(__dirname, '../test/emit-span.js'), {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      });
      expect({ code, output }).toEqual({ code: 0, output: '' });
      const resourceSpans = bodies.filter(({ url }) => url === '/v1/traces').flatMap(({ body }) => JSON.parse(body).resourceSpans as ResourceSpans[]);
      expect(resourceSpans.flatMap((rs) => rs.resource.attributes.filter((a) => a.key === 'service.name').map((a) => a.value.stringValue))).toEqual([
        'emit-span',
      ]);
      expect(resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => span.name)))).toEqual(['an order placed']);
      // Metrics stay with prom-client, logs with pino.
      expect(bodies.map(({ url }) => url)).toEqual(['/v1/traces']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses to start on a bad variable, naming it', async () => {
    const { code, output } = await runNode(join(__dirname, '../test/emit-span.js'), { OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' });
    expect(code).toBe(1);
    expect(output).toContain('emit-span: invalid tracing configuration');
    expect(output).toContain('OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL');
  });
});
