import { childTraceparent } from './headers';
import { deadLetterQueueName, retryQueueName } from './topology';

describe('queue names', () => {
  it('names retry queues by their delay and the dead-letter queue after its queue', () => {
    expect(retryQueueName('inventory.order-placed', 5_000)).toBe('inventory.order-placed.retry.5s');
    expect(retryQueueName('inventory.order-placed', 250)).toBe('inventory.order-placed.retry.250ms');
    expect(deadLetterQueueName('orders.stock-results')).toBe('orders.stock-results.dlq');
  });
});

describe('childTraceparent', () => {
  it('continues a trace with a new span', () => {
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const child = childTraceparent(parent);
    expect(child).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(child).not.toBe(parent);
  });

  it('starts a new trace when there is none or it is malformed', () => {
    expect(childTraceparent()).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(childTraceparent('garbage')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});
