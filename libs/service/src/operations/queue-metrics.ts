import { Inject, Injectable } from '@nestjs/common';
import { AmqpConnection, MESSAGING_OPTIONS, type MessagingOptions } from '@shop/messaging';
import { singletonMetric, withDeadline } from '@shop/platform';
import { Gauge } from 'prom-client';

/** How long a scrape waits for the broker's answer about one queue. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * `messaging_queue_consumers{queue}`: the consumers attached to each of this service's own queues,
 * as the broker reports them when Prometheus scrapes (every replica reports the same figure). A queue
 * the broker does not answer for is left out of that scrape: `absent()` or the scrape's own failure
 * says more than a made-up 0.
 */
@Injectable()
export class QueueMetrics {
  constructor(connection: AmqpConnection, @Inject(MESSAGING_OPTIONS) messaging: MessagingOptions) {
    const queues = messaging.topology.queues.map((queue) => queue.name);
    if (queues.length === 0) return;
    singletonMetric(
      'messaging_queue_consumers',
      () =>
        new Gauge({
          name: 'messaging_queue_consumers',
          help: "Consumers attached to each of the service's own queues, as the broker reports them",
          labelNames: ['queue'],
          async collect() {
            this.reset();
            await Promise.all(
              queues.map(async (queue) => {
                const found = await withDeadline(connection.inspectQueue(queue), PROBE_TIMEOUT_MS, `queue ${queue}`).catch(() => null);
                if (found) this.set({ queue }, found.consumerCount);
              }),
            );
          },
        }),
    );
  }
}
