import { TEST_RABBITMQ_URL, waitFor } from '@shop/testing';
import { connect, type ChannelModel } from 'amqplib';
import type { Socket } from 'node:net';
import { coalesceFrameWrites } from '../src/frame-coalescing';

/** The socket under a ChannelModel, with its write calls counted (each `_write` or `_writev` is one write to the kernel). */
function countWrites(model: ChannelModel): { calls: () => number } {
  const socket = (model as unknown as { connection: { stream: Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void } } }).connection
    .stream;
  let calls = 0;
  for (const method of ['_write', '_writev'] as const) {
    const original = socket[method].bind(socket);
    socket[method] = (...args: unknown[]) => {
      calls++;
      original(...args);
    };
  }
  return { calls: () => calls };
}

/** Publishes `count` messages in one synchronous loop; returns the writes it took and the bodies the queue then holds, in order. */
async function publishInOneTurn(coalesce: boolean, count: number): Promise<{ writes: number; received: string[] }> {
  const model = await connect(TEST_RABBITMQ_URL, { noDelay: true });
  try {
    if (coalesce) expect(coalesceFrameWrites(model)).toBe(true);
    const channel = await model.createConfirmChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    const writes = countWrites(model);
    for (let i = 0; i < count; i++) channel.sendToQueue(queue, Buffer.from(`message ${i}`), { persistent: true });
    await channel.waitForConfirms();
    const sent = writes.calls();
    const received: string[] = [];
    await channel.consume(queue, (message) => message && received.push(message.content.toString()), { noAck: true });
    await waitFor(() => received.length === count, { timeoutMs: 10_000, intervalMs: 20, what: `${count} messages back` });
    return { writes: sent, received };
  } finally {
    await model.close();
  }
}

describe('coalesceFrameWrites', () => {
  const expected = Array.from({ length: 100 }, (_, i) => `message ${i}`);

  it("sends a turn's publishes in a few writes, every message intact and in order", async () => {
    const { writes, received } = await publishInOneTurn(true, 100);
    expect(received).toEqual(expected);
    expect(writes).toBeLessThanOrEqual(3);
  });

  it('without it, amqplib writes each publish on its own (when this fails, amqplib coalesces by itself: remove frame-coalescing.ts)', async () => {
    const { writes, received } = await publishInOneTurn(false, 100);
    expect(received).toEqual(expected);
    expect(writes).toBeGreaterThanOrEqual(100);
  });
});
