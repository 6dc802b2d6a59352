import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Topology } from '@shop/contracts';
import { createVhost, TcpProxy, TEST_RABBITMQ_URL, waitFor } from '@shop/testing';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  AmqpConnection,
  AmqpContext,
  BatchEventPattern,
  BrokerUnavailableError,
  connectConsumers,
  MessagingModule,
  Publisher,
  UnroutableMessageError,
  type Delivery,
} from '../src';

const TOPOLOGY: Topology = {
  retryExchange: 'test.retry',
  deadLetterExchange: 'test.dlx',
  exchanges: [
    { name: 'test.events', type: 'topic' },
    { name: 'test.retry', type: 'direct' },
    { name: 'test.dlx', type: 'direct' },
  ],
  queues: [{ name: 'test.work', bindings: [{ exchange: 'test.events', routingKey: 'work.*' }], retryDelaysMs: [100, 300], maxAttempts: 3 }],
};

/** What the handlers saw, per job id: the attempt number of each call. */
const attemptsById = new Map<string, number[]>();
const completed: string[] = [];

@Controller()
class WorkConsumer {
  /** Fails on its first two attempts (a dependency briefly down), then succeeds. */
  @EventPattern('work.flaky')
  async flaky(@Payload() job: { id: string }, @Ctx() context: AmqpContext) {
    attemptsById.set(job.id, [...(attemptsById.get(job.id) ?? []), context.getAttempt()]);
    if (context.getAttempt() < 3) throw new Error('dependency briefly unavailable');
    completed.push(job.id);
  }

  @EventPattern('work.doomed')
  doomed(@Payload() job: { id: string }, @Ctx() context: AmqpContext) {
    attemptsById.set(job.id, [...(attemptsById.get(job.id) ?? []), context.getAttempt()]);
    throw new Error('this job can never succeed');
  }

  /** Its database is "down" for the first five calls: more failures than maxAttempts allows. */
  @EventPattern('work.outage')
  async outage(@Payload() job: { id: string }, @Ctx() context: AmqpContext) {
    attemptsById.set(job.id, [...(attemptsById.get(job.id) ?? []), context.getAttempt()]);
    if (attemptsById.get(job.id)!.length <= 5) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    completed.push(job.id);
  }

  @EventPattern('work.simple')
  simple(@Payload() job: { id: string }) {
    completed.push(job.id);
  }

  /** All or nothing, like a transaction: a batch holding a "poison" job fails as a whole. */
  @BatchEventPattern('work.batched')
  batched(@Payload() deliveries: Delivery<{ id: string; poison?: boolean; outage?: boolean }>[]) {
    batchSizes.push(deliveries.length);
    for (const { payload, attempt } of deliveries) attemptsById.set(payload.id, [...(attemptsById.get(payload.id) ?? []), attempt]);
    if (deliveries.some(({ payload }) => payload.outage) && outagesLeft-- > 0) {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    }
    const poison = deliveries.find(({ payload }) => payload.poison);
    if (poison) throw new Error(`job ${poison.payload.id} can never succeed`);
    completed.push(...deliveries.map(({ payload }) => payload.id));
  }
}

/** Sizes of the batches the batch handler was called with, in order. */
const batchSizes: number[] = [];
let outagesLeft = 0;

async function startApp(url: string): Promise<NestFastifyApplication> {
  @Module({
    imports: [MessagingModule.forRoot({ url, connectionName: 'messaging-test', topology: TOPOLOGY, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } })],
    controllers: [WorkConsumer],
  })
  class TestModule {}
  const app = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter(), { logger: false });
  connectConsumers(app, {
    queues: ['test.work'],
    schemaFor: (type) => (type.startsWith('work.') ? z.object({ id: z.string(), poison: z.boolean().optional(), outage: z.boolean().optional() }) : undefined),
    isTransient: (err) => (err as { code?: string }).code === 'ECONNREFUSED',
  });
  await app.startAllMicroservices();
  await app.init();
  await app.get(AmqpConnection).waitUntilConnected();
  return app;
}

describe('libs/messaging against a real RabbitMQ', () => {
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let app: NestFastifyApplication;
  let client: ChannelModel;
  let channel: Channel;

  const send = (routingKey: string, id = randomUUID(), flags: { poison?: boolean; outage?: boolean } = {}) => {
    channel.publish('test.events', routingKey, Buffer.from(JSON.stringify({ id, ...flags })), { messageId: randomUUID(), type: routingKey, persistent: true });
    return id;
  };
  const count = (ids: string[]) => ids.map((id) => completed.filter((done) => done === id).length);

  beforeAll(async () => {
    vhost = await createVhost('messaging-test');
    app = await startApp(vhost.url);
    client = await connect(vhost.url);
    channel = await client.createChannel();
  });

  afterAll(async () => {
    await app.close();
    await client.close();
    await vhost.remove();
  });

  it('e. retries a failing handler through the delay queues until it succeeds', async () => {
    const id = send('work.flaky');
    await waitFor(() => completed.includes(id), { what: 'the flaky job to complete' });
    expect(attemptsById.get(id)).toEqual([1, 2, 3]);
    expect((await channel.checkQueue('test.work.dlq')).messageCount).toBe(0);
  });

  it('e. dead-letters a handler that always fails after maxAttempts, with the last error as reason', async () => {
    const id = send('work.doomed');
    await waitFor(async () => (await channel.checkQueue('test.work.dlq')).messageCount === 1, { what: 'a dead letter' });
    expect(attemptsById.get(id)).toEqual([1, 2, 3]);
    const dead = await channel.get('test.work.dlq', { noAck: true });
    expect(dead && JSON.parse(dead.content.toString())).toEqual({ id });
    expect(dead && dead.properties.headers?.['x-dead-letter-reason']).toBe('failed 3 attempts; last error: this job can never succeed');
    expect((await channel.checkQueue('test.work')).messageCount).toBe(0);
  });

  it('retries a transient failure (its database is down) without counting attempts, past maxAttempts', async () => {
    const id = send('work.outage');
    await waitFor(() => completed.includes(id), { what: 'the job to complete after the outage' });
    expect(attemptsById.get(id)).toEqual([1, 1, 1, 1, 1, 1]);
    expect((await channel.checkQueue('test.work.dlq')).messageCount).toBe(0);
  });

  it('hands a batch handler the messages that wait together, and acks every one of them', async () => {
    batchSizes.length = 0;
    const ids = Array.from({ length: 40 }, () => send('work.batched'));
    await waitFor(() => ids.every((id) => completed.includes(id)), { what: 'every batched job' });
    expect(count(ids)).toEqual(ids.map(() => 1));
    // Prefetch 20: at most 10 per batch, and 40 messages published at once do not go one by one.
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(10);
    await waitFor(async () => (await channel.checkQueue('test.work')).messageCount === 0, { what: 'the queue to empty' });
    // Nothing left unacked: a new consumer on the queue gets nothing.
    expect(await channel.get('test.work')).toBe(false);
  });

  it('handles each message of a failed batch alone: the good ones succeed, only the bad one is retried and dead-lettered', async () => {
    batchSizes.length = 0;
    const before = (await channel.checkQueue('test.work.dlq')).messageCount;
    const good = Array.from({ length: 12 }, () => randomUUID());
    good.slice(0, 6).forEach((id) => send('work.batched', id));
    const bad = send('work.batched', randomUUID(), { poison: true });
    good.slice(6).forEach((id) => send('work.batched', id));
    await waitFor(async () => (await channel.checkQueue('test.work.dlq')).messageCount === before + 1, { what: 'the bad job to be dead-lettered' });
    expect(count(good)).toEqual(good.map(() => 1));
    expect(attemptsById.get(bad)!.filter((attempt) => attempt > 1)).toEqual([2, 3]);
    expect(batchSizes.some((size) => size > 1)).toBe(true);
    const dead = await channel.get('test.work.dlq', { noAck: true });
    expect(dead && JSON.parse(dead.content.toString()).id).toBe(bad);
    expect(dead && dead.properties.headers?.['x-dead-letter-reason']).toBe(`failed 3 attempts; last error: job ${bad} can never succeed`);
  });

  it('retries a whole batch that failed for a transient reason without counting attempts', async () => {
    outagesLeft = 4; // more than maxAttempts
    const ids = [send('work.batched', randomUUID(), { outage: true }), send('work.batched'), send('work.batched')];
    await waitFor(() => ids.every((id) => completed.includes(id)), { what: 'the jobs to complete after the outage' });
    expect(count(ids)).toEqual([1, 1, 1]);
    expect(attemptsById.get(ids[0])!.every((attempt) => attempt === 1)).toBe(true);
    expect((await channel.checkQueue('test.work.dlq')).messageCount).toBe(0);
  });

  it('declares retry and dead-letter queues for each queue of the topology', async () => {
    for (const queue of ['test.work', 'test.work.dlq', 'test.work.retry.100ms', 'test.work.retry.300ms']) {
      await expect(channel.checkQueue(queue)).resolves.toMatchObject({ queue });
    }
  });

  it('publishes with confirms, and refuses a message no queue would receive', async () => {
    const publisher = app.get(Publisher);
    const id = randomUUID();
    await publisher.publish({ exchange: 'test.events', routingKey: 'work.simple', messageId: randomUUID(), payload: { id } });
    await waitFor(() => completed.includes(id), { what: 'the published job' });
    await expect(publisher.publish({ exchange: 'test.events', routingKey: 'nobody.listens', messageId: randomUUID(), payload: {} })).rejects.toBeInstanceOf(
      UnroutableMessageError,
    );
  });
});

describe('libs/messaging when the broker goes away', () => {
  it('fails publishes fast while disconnected, then reconnects and consumes again', async () => {
    const vhost = await createVhost('messaging-recovery');
    const broker = new URL(TEST_RABBITMQ_URL);
    const proxy = new TcpProxy(broker.hostname, Number(broker.port || 5672));
    const url = new URL(vhost.url);
    url.hostname = '127.0.0.1';
    url.port = String(await proxy.start());
    const app = await startApp(url.toString());
    const client = await connect(vhost.url);
    const channel = await client.createChannel();
    try {
      const connection = app.get(AmqpConnection);
      proxy.cut();
      await waitFor(() => !connection.isConnected(), { what: 'the connection to drop' });
      await expect(
        app.get(Publisher).publish({ exchange: 'test.events', routingKey: 'work.simple', messageId: randomUUID(), payload: { id: 'x' } }),
      ).rejects.toBeInstanceOf(BrokerUnavailableError);

      // Published while the consumer is cut off; consumed once it is back.
      const id = randomUUID();
      channel.publish('test.events', 'work.simple', Buffer.from(JSON.stringify({ id })), { messageId: randomUUID(), type: 'work.simple', persistent: true });
      proxy.restore();
      await waitFor(() => completed.includes(id), { what: 'the job consumed after reconnecting' });
      expect(connection.isConnected()).toBe(true);
    } finally {
      await app.close();
      await client.close();
      await proxy.stop();
      await vhost.remove();
    }
  });

  it('survives a network cut while it sets up a connection, and connects when the network is back', async () => {
    const vhost = await createVhost('messaging-setup-cut');
    const broker = new URL(TEST_RABBITMQ_URL);
    const proxy = new TcpProxy(broker.hostname, Number(broker.port || 5672));
    const url = new URL(vhost.url);
    url.hostname = '127.0.0.1';
    url.port = String(await proxy.start());
    const connection = new AmqpConnection({
      url: url.toString(),
      connectionName: 'setup-cut-test',
      topology: TOPOLOGY,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    let setups = 0;
    // The first setup is cut off halfway: the socket closes while setup still has work to do.
    await connection.onConnect(async (model) => {
      if (++setups > 1) return;
      proxy.cut();
      await new Promise((resolve) => model.once('close', resolve));
      await model.createChannel();
    });
    try {
      await connection.onModuleInit();
      await waitFor(() => setups >= 1, { what: 'the first setup' });
      proxy.restore();
      await connection.waitUntilConnected();
      expect(setups).toBeGreaterThanOrEqual(2);
      await expect(connection.publishConfirmed('test.events', 'work.simple', Buffer.from('{}'), { messageId: randomUUID() })).resolves.toBeUndefined();
    } finally {
      await connection.onApplicationShutdown();
      await proxy.stop();
      await vhost.remove();
    }
  });
});
