// A real OTLP/HTTP JSON export for otlp-receiver.spec.ts, from a process of its own as a service's
// is (the exporter loads node:http with a dynamic import, which Jest's module loader refuses).
// Records three spans (a producer, a server span, a consumer child of it linked to the producer),
// exports them, and prints their contexts as one JSON line.
//   node otlp-export.child.mjs <receiver url>
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

const [url] = process.argv.slice(2);
if (!url) {
  process.stderr.write('usage: node otlp-export.child.mjs <receiver url>\n');
  process.exit(2);
}

const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'receiver-spec' }),
  spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
});
const tracer = provider.getTracer('receiver-spec');
const producer = tracer.startSpan('create shop.orders', { kind: SpanKind.PRODUCER });
producer.end();
const server = tracer.startSpan('POST /api/orders', { kind: SpanKind.SERVER });
const consumer = tracer.startSpan(
  'process inventory.order-placed',
  {
    kind: SpanKind.CONSUMER,
    attributes: { 'messaging.system': 'rabbitmq', 'messaging.batch.message_count': 3, 'shop.ratio': 0.5, 'shop.retried': false, 'shop.skus': ['A', 'B'] },
    links: [{ context: producer.spanContext() }],
  },
  trace.setSpan(ROOT_CONTEXT, server),
);
consumer.setStatus({ code: SpanStatusCode.ERROR, message: 'refused' });
consumer.end();
server.end();
await provider.forceFlush();
await provider.shutdown();
process.stdout.write(`${JSON.stringify({ producer: producer.spanContext(), server: server.spanContext(), consumer: consumer.spanContext() })}\n`);
