import { Controller, Get, Header, Module } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';

let defaultMetricsStarted = false;

@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', register.contentType)
  scrape(): Promise<string> {
    return register.metrics();
  }
}

/** Prometheus metrics at GET /metrics: process defaults plus the counters each module registers. */
@Module({ controllers: [MetricsController] })
export class MetricsModule {
  constructor() {
    // Default collectors are process-wide; several apps in one test process must not register them twice.
    if (!defaultMetricsStarted) {
      collectDefaultMetrics();
      defaultMetricsStarted = true;
    }
  }
}

/** A counter or gauge registered once per process, even when a module is instantiated again (tests). */
export function singletonMetric<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}
