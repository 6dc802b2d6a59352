import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { freePort } from './ports';
import { waitFor } from './wait';

/** OTLP's span kinds (SPAN_KIND_*), as numbers in the JSON export. */
export const SPAN_KIND = { unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;
export const SPAN_KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;

/** An attribute's value, flattened from OTLP's `AnyValue`. */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

/** One span as a test reads it: ids in hex, the service from its resource, attributes as plain values. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** SPAN_KIND: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** The resource's `service.name`. */
  service: string;
  attributes: Record<string, AttributeValue>;
  links: { traceId: string; spanId: string }[];
  /** Nanoseconds since the epoch, as a number (about 0.25 µs of precision left: plenty for durations and gaps). */
  startNs: number;
  endNs: number;
  /** 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
}

/** The parts of OTLP/HTTP JSON (ExportTraceServiceRequest) read here. */
interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number | string;
  bytesValue?: string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number; message?: string };
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

const TRACES_PATH = '/v1/traces';
/** A larger body is refused: a test's exports are small (the SDK sends at most 512 spans at a time). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * A collector of the test's own: an HTTP server on 127.0.0.1 that takes OTLP/HTTP JSON trace
 * exports (`POST /v1/traces`, what a service sends with `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`
 * and `OTEL_EXPORTER_OTLP_ENDPOINT=<url>`) and keeps every span, flattened, for assertions.
 * Protobuf is refused with 415 and a message that says which protocol to set. `close()` stops it
 * for good: its port then refuses connections, as a collector gone away does.
 */
export class OtlpReceiver {
  private readonly received: ReceivedSpan[] = [];
  private server: Server | null = null;
  private port = 0;
  /** Export requests answered 200, and those refused (with the reason), for a test's report. */
  readonly stats = { exports: 0, refused: [] as string[] };

  /** Listens on a free port of 127.0.0.1; resolves with the base URL. */
  async start(): Promise<string> {
    if (this.server) throw new Error('the OTLP receiver is already started');
    this.port = await freePort();
    const server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return this.url;
  }

  /** The endpoint base to give as OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  get url(): string {
    if (!this.port) throw new Error('the OTLP receiver is not started');
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every span received so far, in arrival order. */
  spans(): ReceivedSpan[] {
    return [...this.received];
  }

  /** The spans of one trace received so far, by start time. */
  trace(traceId: string): ReceivedSpan[] {
    return this.received.filter((span) => span.traceId === traceId).sort((a, b) => a.startNs - b.startNs);
  }

  /** Waits until `predicate` holds over the spans received (returns its value), or fails naming `what`. */
  waitFor<T>(predicate: (spans: ReceivedSpan[]) => T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
    return waitFor(() => predicate(this.spans()), { what, timeoutMs, intervalMs: 100 });
  }

  /** Stops listening and drops the open connections: from now on the port refuses, as a collector gone. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Exporters keep their connection alive: without this, close would wait for them to let go.
    server.closeAllConnections();
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const refuse = (status: number, message: string) => {
      this.stats.refused.push(message);
      answer(status, { code: status, message });
    };
    try {
      const path = (request.url ?? '').split('?')[0];
      if (request.method !== 'POST' || path !== TRACES_PATH) {
        request.resume();
        return refuse(404, `this receiver takes POST ${TRACES_PATH} only, not ${request.method} ${path}`);
      }
      const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (type !== 'application/json') {
        request.resume();
        return refuse(
          415,
          `this receiver reads OTLP/HTTP JSON only (Content-Type: application/json), not ${type || 'no content type'}: ` +
            'start the exporter with OTEL_EXPORTER_OTLP_PROTOCOL=http/json',
        );
      }
      let body = await readBody(request);
      const encoding = (request.headers['content-encoding'] ?? '').toLowerCase();
      if (encoding === 'gzip') body = await promisify(gunzip)(body);
      else if (encoding && encoding !== 'identity') return refuse(415, `unsupported Content-Encoding ${encoding} (gzip or none)`);
      this.received.push(...flatten(JSON.parse(body.toString('utf8')) as OtlpExport));
      this.stats.exports++;
      // ExportTraceServiceResponse: no partial success to report.
      answer(200, {});
    } catch (err) {
      refuse(400, `unreadable export: ${(err as Error).message}`);
    }
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The spans of one export, each with its resource's service name and plain attribute values. */
export function flatten(request: OtlpExport): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : '';
    return (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span): ReceivedSpan => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind ?? SPAN_KIND.unspecified,
        service,
        attributes: attributesOf(span.attributes),
        links: (span.links ?? []).map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
        startNs: Number(span.startTimeUnixNano ?? 0),
        endNs: Number(span.endTimeUnixNano ?? 0),
        status: { code: span.status?.code ?? 0, ...(span.status?.message ? { message: span.status.message } : {}) },
      })),
    );
  });
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((list ?? []).map((attribute) => [attribute.key, valueOf(attribute.value)]));
}

function valueOf(value: OtlpAnyValue | undefined): AttributeValue {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  // int64 may come as a string (JSON has no 64-bit integers).
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf);
  if (value.kvlistValue) return attributesOf(value.kvlistValue.values);
  return null;
}
