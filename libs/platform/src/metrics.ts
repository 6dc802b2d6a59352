import { DynamicModule, Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, register } from 'prom-client';

let defaultMetricsStarted = false;

const METRICS_ADDRESS = Symbol('METRICS_ADDRESS');

/** Where the scrape endpoint listens: its own port, so the API's port never exposes it. */
export interface MetricsAddress {
  /** 0: any free port (tests read it from `MetricsServer.url`). */
  port: number;
  host: string;
}

/**
 * GET /metrics on METRICS_PORT, apart from the API: whoever can reach the shop's port cannot read
 * the service's internals, and a scraper reaches it inside the network only.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MetricsServer.name);
  private server: Server | null = null;

  constructor(@Inject(METRICS_ADDRESS) private readonly address: MetricsAddress) {}

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?', 1)[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
        return;
      }
      register.metrics().then(
        (text) => res.writeHead(200, { 'content-type': register.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`),
      );
    });
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`METRICS_PORT: cannot listen on ${this.address.host}:${this.address.port}: ${err.message}`)));
      server.listen(this.address.port, this.address.host, resolve);
    });
    this.server = server;
    this.logger.log(`metrics on ${this.url}/metrics`);
  }

  /** Base URL of the scrape endpoint, e.g. http://127.0.0.1:9464. */
  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the metrics server is not listening');
    return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Prometheus metrics: process defaults plus the counters each module registers, served by MetricsServer. */
@Module({})
export class MetricsModule {
  constructor() {
    // Default collectors are process-wide; several apps in one test process must not register them twice.
    if (!defaultMetricsStarted) {
      collectDefaultMetrics();
      defaultMetricsStarted = true;
    }
  }

  static forRoot(address: MetricsAddress): DynamicModule {
    return { module: MetricsModule, providers: [{ provide: METRICS_ADDRESS, useValue: address }, MetricsServer], exports: [MetricsServer] };
  }
}

/** A counter or gauge registered once per process, even when a module is instantiated again (tests). */
export function singletonMetric<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}
