import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export type { ReadableSpan };

/**
 * An OpenTelemetry SDK of the test's own (not exported from the index: only span tests load the SDK), registered as the services' would be (async context, W3C
 * trace context), keeping every span that ends in memory instead of exporting it.
 */
export function recordSpans(): { spans: () => ReadableSpan[]; stop: () => Promise<void> } {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  return { spans: () => exporter.getFinishedSpans(), stop: () => provider.shutdown() };
}

/** The span whose child `span` is, among those recorded. */
export const parentOf = (spans: ReadableSpan[], span: ReadableSpan): ReadableSpan | undefined =>
  spans.find((candidate) => candidate.spanContext().spanId === span.parentSpanContext?.spanId);

/** A W3C traceparent of a made-up sampled span, as a message from another service carries it. */
export const aTraceparent = (): { traceparent: string; traceId: string; spanId: string } => {
  const hex = (bytes: number) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, '0')).join('');
  const [traceId, spanId] = [hex(16), hex(8)];
  return { traceparent: `00-${traceId}-${spanId}-01`, traceId, spanId };
};
