// A stand-in for Jaeger all-in-one where no Jaeger image can be had (no registry: see
// ../../../shared/container-env): the part of Jaeger the compose e2e uses, to the same contract, so
// the same test passes against the real image. OTLP/HTTP JSON in on 4318 (`POST /v1/traces`; the
// e2e sets OTEL_EXPORTER_OTLP_PROTOCOL=http/json, which Jaeger also takes), Jaeger's query API out on
// 16686 (`GET /api/services`, `GET /api/traces/<trace id>`: spans with operationName, CHILD_OF and
// FOLLOWS_FROM references, span.kind tags, processes by service name). Traces kept in memory, the
// oldest dropped past MEMORY_MAX_TRACES, as Jaeger's memory store does. No UI.
import { createServer } from 'node:http';

const MAX_TRACES = Number(process.env.MEMORY_MAX_TRACES ?? 100000);
const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
/** trace id → its spans (Jaeger's JSON), in arrival order; Map keeps insertion order for eviction. */
const traces = new Map();

function value(v) {
  if ('stringValue' in v) return { type: 'string', value: v.stringValue };
  if ('intValue' in v) return { type: 'int64', value: Number(v.intValue) };
  if ('doubleValue' in v) return { type: 'float64', value: v.doubleValue };
  if ('boolValue' in v) return { type: 'bool', value: v.boolValue };
  return { type: 'string', value: JSON.stringify(v) };
}

function take(body) {
  for (const resourceSpans of body.resourceSpans ?? []) {
    const service = (resourceSpans.resource?.attributes ?? []).find((a) => a.key === 'service.name')?.value?.stringValue ?? 'unknown_service';
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        const startUs = Math.floor(Number(BigInt(span.startTimeUnixNano) / 1000n));
        const endUs = Math.floor(Number(BigInt(span.endTimeUnixNano) / 1000n));
        const references = [
          ...(span.parentSpanId ? [{ refType: 'CHILD_OF', traceID: span.traceId, spanID: span.parentSpanId }] : []),
          ...(span.links ?? []).map((link) => ({ refType: 'FOLLOWS_FROM', traceID: link.traceId, spanID: link.spanId })),
        ];
        const tags = [
          { key: 'span.kind', type: 'string', value: KINDS[span.kind ?? 0] },
          ...(span.attributes ?? []).map((a) => ({ key: a.key, ...value(a.value) })),
        ];
        if (!traces.has(span.traceId)) {
          traces.set(span.traceId, []);
          if (traces.size > MAX_TRACES) traces.delete(traces.keys().next().value);
        }
        traces.get(span.traceId).push({
          traceID: span.traceId,
          spanID: span.spanId,
          operationName: span.name,
          references,
          startTime: startUs,
          duration: endUs - startUs,
          tags,
          service,
        });
      }
    }
  }
}

function read(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

const json = (response, status, body) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

createServer(async (request, response) => {
  if (request.method !== 'POST' || request.url !== '/v1/traces') return json(response, 404, { message: 'POST /v1/traces only' });
  if (!(request.headers['content-type'] ?? '').startsWith('application/json'))
    return json(response, 415, { message: 'this stand-in reads OTLP/HTTP JSON only: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json' });
  try {
    take(JSON.parse(await read(request)));
    json(response, 200, {});
  } catch (err) {
    json(response, 400, { message: `not an OTLP JSON export: ${err.message}` });
  }
}).listen(4318, '0.0.0.0');

createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://jaeger');
  if (url.pathname === '/api/services') {
    const services = new Set([...traces.values()].flatMap((spans) => spans.map((span) => span.service)));
    return json(response, 200, { data: [...services].sort(), total: services.size });
  }
  const match = /^\/api\/traces\/([0-9a-f]{32})$/.exec(url.pathname);
  if (match) {
    const spans = traces.get(match[1]);
    if (!spans) return json(response, 404, { data: null, errors: [{ code: 404, msg: 'trace not found' }] });
    const processIds = new Map([...new Set(spans.map((span) => span.service))].map((service, i) => [service, `p${i + 1}`]));
    return json(response, 200, {
      data: [
        {
          traceID: match[1],
          spans: spans.map(({ service, ...span }) => ({ ...span, processID: processIds.get(service) })),
          processes: Object.fromEntries([...processIds].map(([service, id]) => [id, { serviceName: service, tags: [] }])),
        },
      ],
    });
  }
  if (url.pathname === '/')
    return response.writeHead(200, { 'content-type': 'text/plain' }).end('Jaeger stand-in: the query API only (/api/services, /api/traces/<id>)\n');
  json(response, 404, { data: null, errors: [{ code: 404, msg: 'not found' }] });
}).listen(16686, '0.0.0.0');
