import { NodeSDK } from '@opentelemetry/sdk-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

/** Requests that say nothing about an order: probes and scrapes, made every few seconds. */
const UNTRACED_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/**
 * Whether the standard variables ask for traces to be exported: an OTLP endpoint (all signals or
 * traces only) or an exporter named explicitly, and the SDK not disabled. Without one, nothing is
 * started and nothing leaves the process; the services still carry a W3C traceparent on every
 * message, so logs and the operators' timeline correlate either way.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter) return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];
const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'];

/**
 * What is wrong with the tracing variables, one line per variable, naming it; empty when nothing
 * is. The SDK itself would only log a warning and run on defaults (or send nowhere), which hides a
 * typo until someone looks for a trace that was never sent.
 */
export function telemetryConfigErrors(env: NodeJS.ProcessEnv = process.env): string[] {
  const errors: string[] = [];
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
    const value = env[name]?.trim();
    if (!value) continue;
    const url = URL.canParse(value) ? new URL(value) : null;
    if (!url || !['http:', 'https:'].includes(url.protocol)) errors.push(`${name}: must be an http(s) URL such as http://jaeger:4318, got "${value}"`);
  }
  for (const name of ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']) {
    const value = env[name]?.trim();
    if (value && !PROTOCOLS.includes(value)) errors.push(`${name}: must be one of ${PROTOCOLS.join(', ')}, got "${value}"`);
  }
  const sampler = env.OTEL_TRACES_SAMPLER?.trim();
  if (sampler && !SAMPLERS.includes(sampler)) errors.push(`OTEL_TRACES_SAMPLER: must be one of ${SAMPLERS.join(', ')}, got "${sampler}"`);
  const ratio = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (ratio && sampler?.endsWith('traceidratio') && !(Number(ratio) >= 0 && Number(ratio) <= 1))
    errors.push(`OTEL_TRACES_SAMPLER_ARG: must be a ratio from 0 to 1 for ${sampler}, got "${ratio}"`);
  return errors;
}

/** startTelemetry for a service's entry point: a bad variable ends the process with its name, before anything else starts. */
export function startTelemetryOrExit(serviceName: string): void {
  const errors = telemetryConfigErrors();
  if (errors.length > 0) {
    console.error(`${serviceName}: invalid tracing configuration:\n  ${errors.join('\n  ')}`);
    process.exit(1);
  }
  startTelemetry(serviceName);
}

/**
 * The OpenTelemetry Node SDK for one service, configured by the standard `OTEL_*` variables
 * (endpoint, protocol, sampler, batch and queue sizes, resource attributes); to be called before
 * the application's own modules load, so the instrumentations can patch http, pg and pino as
 * they are required (each service's `src/telemetry.ts`, the first import of its `main.ts`).
 * Traces only: the metrics stay with prom-client on `/metrics`, one way, not two. Export is
 * best-effort: spans wait in a bounded queue (`OTEL_BSP_MAX_QUEUE_SIZE`, 2048) and are dropped,
 * never blocking an order, when the collector is slow or gone.
 */
export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): NodeSDK | null {
  if (!tracingRequested(env)) return null;
  // Metrics and logs are not this SDK's job here (prom-client and pino do them).
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || serviceName,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? ''),
        // An outgoing call with no order behind it (a health probe of a peer) starts no trace.
        requireParentforOutgoingSpans: true,
      }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
      // The relays poll every few hundred milliseconds: only queries inside an order's work are spans.
      new PgInstrumentation({ requireParentSpan: true }),
      // trace_id and span_id on every log line written inside a span.
      new PinoInstrumentation(),
    ],
  });
  sdk.start();
  started = sdk;
  return sdk;
}

let started: NodeSDK | null = null;

/** Sends the spans still queued and stops the SDK (bounded by the exporter's timeout); a no-op when none was started. */
export async function shutdownTelemetry(): Promise<void> {
  const sdk = started;
  started = null;
  await sdk?.shutdown().catch(() => undefined);
}
