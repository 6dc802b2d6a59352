/** Where the trace id goes in TRACE_URL_TEMPLATE. */
export const TRACE_ID_PLACEHOLDER = '{traceId}';

/** Injection token: order-service's TRACE_URL_TEMPLATE, or null when unset. */
export const TRACE_URL_TEMPLATE = Symbol('TRACE_URL_TEMPLATE');

/** version-traceid-parentid-flags (W3C Trace Context); a later version may add fields after a dash. */
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}(?:-|$)/;

/** The trace id of a W3C `traceparent` header, or null for a missing or malformed one (or the all-zero, invalid id). */
export function traceIdOf(traceparent: string | null | undefined): string | null {
  const traceId = traceparent ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
  return traceId && !/^0+$/.test(traceId) ? traceId : null;
}

/** Whether `template` is an http(s) URL once `{traceId}` is put in, and has `{traceId}` to put it in. */
export function isTraceUrlTemplate(template: string): boolean {
  if (!template.includes(TRACE_ID_PLACEHOLDER)) return false;
  try {
    return ['http:', 'https:'].includes(new URL(traceUrl(template, '0'.repeat(32))).protocol);
  } catch {
    return false;
  }
}

/** The link to one trace: the template with every `{traceId}` replaced by the id. */
export function traceUrl(template: string, traceId: string): string {
  return template.replaceAll(TRACE_ID_PLACEHOLDER, traceId);
}
