import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A collector that takes every OTLP/HTTP export and keeps nothing but counts: what the services pay
 * to record and send spans, without a real backend's cost on the same cores.
 */
export class OtlpSink {
  requests = 0;
  bytes = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OtlpSink> {
    let sink: OtlpSink | null = null;
    const server = createServer((request, response) => {
      request.on('data', (chunk: Buffer) => {
        if (sink) sink.bytes += chunk.length;
      });
      request.on('end', () => {
        if (sink) sink.requests++;
        // An empty ExportTraceServiceResponse: everything accepted.
        response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sink = new OtlpSink(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return sink;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
