import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OtlpReceiver, SPAN_KIND } from './otlp-receiver';

const run = promisify(execFile);
/** Exports three spans with @opentelemetry/exporter-trace-otlp-http from a process of its own. */
const EXPORTER = join(__dirname, 'otlp-export.child.mjs');

describe('OtlpReceiver', () => {
  let receiver: OtlpReceiver;

  beforeEach(async () => {
    receiver = new OtlpReceiver();
    await receiver.start();
  });

  afterEach(async () => {
    await receiver.close();
  });

  it('reads back the spans a real OTLP/HTTP JSON exporter sends: ids, parent, kind, service, attributes, links, times, status', async () => {
    const { stdout } = await run(process.execPath, [EXPORTER, receiver.url]);
    const sent = JSON.parse(stdout) as Record<'producer' | 'server' | 'consumer', { traceId: string; spanId: string }>;

    const spans = await receiver.waitFor((all) => all.length === 3 && all, 'three spans');
    const received = (name: string) => spans.find((span) => span.name === name)!;
    const { traceId, spanId } = sent.server;
    expect(received('POST /api/orders')).toMatchObject({ traceId, spanId, parentSpanId: '', kind: SPAN_KIND.server, service: 'receiver-spec' });
    expect(received('process inventory.order-placed')).toEqual({
      traceId,
      spanId: sent.consumer.spanId,
      parentSpanId: spanId,
      name: 'process inventory.order-placed',
      kind: SPAN_KIND.consumer,
      service: 'receiver-spec',
      attributes: { 'messaging.system': 'rabbitmq', 'messaging.batch.message_count': 3, 'shop.ratio': 0.5, 'shop.retried': false, 'shop.skus': ['A', 'B'] },
      links: [{ traceId: sent.producer.traceId, spanId: sent.producer.spanId }],
      startNs: expect.any(Number),
      endNs: expect.any(Number),
      status: { code: 2, message: 'refused' },
    });
    expect(received('create shop.orders')).toMatchObject({ traceId: sent.producer.traceId, spanId: sent.producer.spanId, kind: SPAN_KIND.producer });
    const { startNs, endNs } = received('POST /api/orders');
    expect(Math.abs(startNs / 1e6 - Date.now())).toBeLessThan(60_000);
    expect(endNs).toBeGreaterThanOrEqual(startNs);
    // Its spans (in start order, which two spans started within the same microsecond may not tell apart).
    expect(
      receiver
        .trace(traceId)
        .map((span) => span.name)
        .sort(),
    ).toEqual(['POST /api/orders', 'process inventory.order-placed']);
    expect(receiver.stats).toEqual({ exports: 3, refused: [] });
  });

  it('refuses protobuf with 415, saying which protocol to set', async () => {
    const response = await fetch(`${receiver.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([10, 0]),
    });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { message: string }).message).toContain('OTEL_EXPORTER_OTLP_PROTOCOL=http/json');
    expect(receiver.spans()).toEqual([]);
  });

  it('once closed, its port refuses connections (a collector gone)', async () => {
    const { url } = receiver;
    await receiver.close();
    await expect(fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).rejects.toMatchObject({
      cause: { code: 'ECONNREFUSED' },
    });
  });
});
