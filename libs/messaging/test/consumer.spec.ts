import { Controller, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createVhost, isPublisherConfirm, nackInsteadOfAck, TcpProxy, TEST_RABBITMQ_URL, waitFor } from '@shop/testing';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  AmqpConnection,
  BatchEventPattern,
  BrokerUnavailableError,
  connectConsumers,
  MessagingModule,
  Publisher,
  PublishNackedError,
  PublishTimeoutError,
  UnroutableMessageError,
  declareMainQueue,
  type ConsumerOptions,
  type Delivery,
  type Topology,
} from '../src';

/** An exchange and a work queue (with its retry and dead-letter queues) that no other test uses. */
interface Lane {
  events: string;
  queue: string;
  topology: Topology;
}

function newLane(): Lane {
  const tag = randomUUID().slice(0, 8);
  const events = `test.events.${tag}`;
  const queue = `test.work.${tag}`;
  return {
    events,
    queue,
    topology: {
      retryExchange: 'test.retry',
      deadLetterExchange: 'test.dlx',
      exchanges: [
        { name: events, type: 'topic' },
        { name: 'test.retry', type: 'direct' },
        { name: 'test.dlx', type: 'direct' },
      ],
      queues: [{ name: queue, bindings: [{ exchange: events, routingKey: 'work.*' }], retryDelaysMs: [100, 300], maxAttempts: 3 }],
    },
  };
}

type Job = { id: string; poison?: boolean; outage?: boolean };

/** What one app's handlers saw. Each test starts its own app (and vhost), so nothing carries over. */
class WorkLog {
  /** The attempt number of each call, per job id. */
  readonly attemptsById = new Map<string, number[]>();
  readonly completed: string[] = [];
  /** Sizes of the batches the `work.batched` handler was called with, in order. */
  readonly batchSizes: number[] = [];
  /** Calls of `work.batched` or `work.slow` with an outage job that still fail as if its database were down. */
  outagesLeft = 0;
  /** The job ids of each call of `work.slow`, in order. */
  readonly slowBatches: string[][] = [];
  /** Jobs of `work.slow` the test holds up: their handler waits until the test releases them. */
  private readonly holds = new Map<string, { released: Promise<void>; release: () => void }>();

  record(jobs: Delivery<Job>[]): void {
    for (const { payload, attempt } of jobs) this.attemptsById.set(payload.id, [...(this.attemptsById.get(payload.id) ?? []), attempt]);
  }

  hold(id: string): void {
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holds.set(id, { released, release });
  }

  /** Resolves once the test releases job `id`; at once for a job it does not hold. */
  released(id: string): Promise<void> {
    return this.holds.get(id)?.released ?? Promise.resolve();
  }

  release(id: string): void {
    this.holds.get(id)?.release();
  }

  /** So that shutdown never waits on a job a failed test left held. */
  releaseAll(): void {
    for (const { release } of this.holds.values()) release();
  }

  /** How often each job completed. */
  count(ids: string[]): number[] {
    return ids.map((id) => this.completed.filter((done) => done === id).length);
  }
}

const databaseDown = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

@Controller()
class WorkConsumer {
  constructor(@Inject(WorkLog) private readonly log: WorkLog) {}

  /** Fails on its first two attempts (a dependency briefly down), then succeeds. */
  @BatchEventPattern('work.flaky')
  async flaky(@Payload() jobs: Delivery<Job>[]) {
    this.log.record(jobs);
    if (jobs.some(({ attempt }) => attempt < 3)) throw new Error('dependency briefly unavailable');
    this.log.completed.push(...jobs.map(({ payload }) => payload.id));
  }

  @BatchEventPattern('work.doomed')
  doomed(@Payload() jobs: Delivery<Job>[]) {
    this.log.record(jobs);
    throw new Error('this job can never succeed');
  }

  /** Its database is "down" for the first five calls: more failures than maxAttempts allows. */
  @BatchEventPattern('work.outage')
  async outage(@Payload() jobs: Delivery<Job>[]) {
    this.log.record(jobs);
    if (jobs.some(({ payload }) => this.log.attemptsById.get(payload.id)!.length <= 5)) throw databaseDown();
    this.log.completed.push(...jobs.map(({ payload }) => payload.id));
  }

  @BatchEventPattern('work.simple')
  simple(@Payload() jobs: Delivery<Job>[]) {
    this.log.completed.push(...jobs.map(({ payload }) => payload.id));
  }

  /** All or nothing, like a transaction: a batch holding a "poison" job fails as a whole. */
  @BatchEventPattern('work.batched')
  batched(@Payload() jobs: Delivery<Job>[]) {
    this.log.batchSizes.push(jobs.length);
    this.log.record(jobs);
    if (jobs.some(({ payload }) => payload.outage) && this.log.outagesLeft-- > 0) throw databaseDown();
    const poison = jobs.find(({ payload }) => payload.poison);
    if (poison) throw new Error(`job ${poison.payload.id} can never succeed`);
    this.log.completed.push(...jobs.map(({ payload }) => payload.id));
  }

  /** An outside call per job (a payment provider, say): a held job takes until the test releases it. */
  @BatchEventPattern('work.slow')
  async slow(@Payload() jobs: Delivery<Job>[]) {
    this.log.slowBatches.push(jobs.map(({ payload }) => payload.id));
    this.log.record(jobs);
    await Promise.all(jobs.map(({ payload }) => this.log.released(payload.id)));
    if (jobs.some(({ payload }) => payload.outage) && this.log.outagesLeft-- > 0) throw databaseDown();
    this.log.completed.push(...jobs.map(({ payload }) => payload.id));
  }
}

async function startApp(
  url: string | string[],
  lane: Lane,
  controller: new (...args: never[]) => unknown = WorkConsumer,
  settings: { publishTimeoutMs?: number; consumerStallCheckMs?: number; batching?: ConsumerOptions['batching'] } = {},
): Promise<{ app: NestFastifyApplication; log: WorkLog }> {
  const { batching, ...timeouts } = settings;
  const log = new WorkLog();
  @Module({
    imports: [
      MessagingModule.forRoot({
        urls: typeof url === 'string' ? [url] : url,
        connectionName: 'messaging-test',
        topology: lane.topology,
        reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
        ...timeouts,
      }),
    ],
    controllers: [controller],
    providers: [{ provide: WorkLog, useValue: log }],
  })
  class TestModule {}
  const app = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter(), { logger: false });
  connectConsumers(app, {
    queues: [lane.queue],
    schemaFor: (type) => (type.startsWith('work.') ? z.object({ id: z.string(), poison: z.boolean().optional(), outage: z.boolean().optional() }) : undefined),
    isTransient: (err) => (err as { code?: string }).code === 'ECONNREFUSED',
    batching,
  });
  try {
    await app.startAllMicroservices();
    await app.init();
    await app.get(AmqpConnection).waitUntilConnected();
  } catch (err) {
    await app.close();
    throw err;
  }
  return { app, log };
}

/** Two doors (AMQP-aware proxies) to the test broker's vhost, standing for two nodes of a cluster. */
async function twoDoors(
  vhostUrl: string,
): Promise<{ proxies: TcpProxy[]; urls: string[]; doorInUse: (connection: AmqpConnection) => { node: string; door: TcpProxy } }> {
  const broker = new URL(TEST_RABBITMQ_URL);
  const proxies = [0, 1].map(() => new TcpProxy(broker.hostname, Number(broker.port || 5672), { protocol: 'amqp' }));
  const ports: number[] = [];
  const urls: string[] = [];
  for (const proxy of proxies) {
    const url = new URL(vhostUrl);
    url.hostname = '127.0.0.1';
    ports.push(await proxy.start());
    url.port = String(ports.at(-1));
    urls.push(url.toString());
  }
  /** The node a connection is on now, and the door it came through: the one a test breaks. */
  const doorInUse = (connection: AmqpConnection) => {
    const node = connection.connectedNode();
    const door = proxies[ports.findIndex((port) => node === `127.0.0.1:${port}`)];
    if (!node || !door) throw new Error(`the connection is on no door of this test (${node})`);
    return { node, door };
  };
  return { proxies, urls, doorInUse };
}

/** A handler in the shape of Nest's own transports: one message at a time. */
@Controller()
class SingleMessageConsumer {
  @EventPattern('work.single')
  single(@Payload() job: Job) {
    return job;
  }
}

describe('libs/messaging against a real RabbitMQ', () => {
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let lane: Lane;
  let app: NestFastifyApplication;
  let log: WorkLog;
  let client: ChannelModel;
  let channel: Channel;

  const send = (routingKey: string, id = randomUUID(), flags: { poison?: boolean; outage?: boolean } = {}) => {
    channel.publish(lane.events, routingKey, Buffer.from(JSON.stringify({ id, ...flags })), { messageId: randomUUID(), type: routingKey, persistent: true });
    return id;
  };

  // The vhost only holds the lanes: each test has its own exchange, queues, app and handler log,
  // so no test depends on what another did or left behind.
  beforeAll(async () => {
    vhost = await createVhost('messaging-test');
  });

  afterAll(async () => {
    await vhost.remove();
  });

  beforeEach(async () => {
    lane = newLane();
    ({ app, log } = await startApp(vhost.url, lane));
    client = await connect(vhost.url);
    channel = await client.createChannel();
  });

  afterEach(async () => {
    await app.close();
    await client.close();
  });

  it('refuses to start with a plain @EventPattern handler, naming its pattern', async () => {
    const outcome = await startApp(vhost.url, newLane(), SingleMessageConsumer).then(
      async ({ app }) => {
        await app.close(); // started after all: stop it, so the failure below is all that is left
        return 'started';
      },
      (err: Error) => err.message,
    );
    expect(outcome).toBe('message handlers must be @BatchEventPattern methods; not so for: work.single');
  });

  it('e. retries a failing handler through the delay queues until it succeeds', async () => {
    const id = send('work.flaky');
    await waitFor(() => log.completed.includes(id), { what: 'the flaky job to complete' });
    expect(log.attemptsById.get(id)).toEqual([1, 2, 3]);
    expect((await channel.checkQueue(`${lane.queue}.dlq`)).messageCount).toBe(0);
  });

  it('e. dead-letters a handler that always fails after maxAttempts, with the last error as reason', async () => {
    const id = send('work.doomed');
    await waitFor(async () => (await channel.checkQueue(`${lane.queue}.dlq`)).messageCount === 1, { what: 'a dead letter' });
    expect(log.attemptsById.get(id)).toEqual([1, 2, 3]);
    const dead = await channel.get(`${lane.queue}.dlq`, { noAck: true });
    expect(dead && JSON.parse(dead.content.toString())).toEqual({ id });
    expect(dead && dead.properties.headers?.['x-dead-letter-reason']).toBe('failed 3 attempts; last error: this job can never succeed');
    expect((await channel.checkQueue(lane.queue)).messageCount).toBe(0);
  });

  it('retries a transient failure (its database is down) without counting attempts, past maxAttempts', async () => {
    const id = send('work.outage');
    await waitFor(() => log.completed.includes(id), { what: 'the job to complete after the outage' });
    expect(log.attemptsById.get(id)).toEqual([1, 1, 1, 1, 1, 1]);
    expect((await channel.checkQueue(`${lane.queue}.dlq`)).messageCount).toBe(0);
  });

  it('hands a batch handler the messages that wait together, and acks every one of them', async () => {
    const ids = Array.from({ length: 40 }, () => send('work.batched'));
    await waitFor(() => ids.every((id) => log.completed.includes(id)), { what: 'every batched job' });
    expect(log.count(ids)).toEqual(ids.map(() => 1));
    // Prefetch 20: at most 10 per batch, and 40 messages published at once do not go one by one.
    expect(Math.max(...log.batchSizes)).toBeGreaterThan(1);
    expect(Math.max(...log.batchSizes)).toBeLessThanOrEqual(10);
    await waitFor(async () => (await channel.checkQueue(lane.queue)).messageCount === 0, { what: 'the queue to empty' });
    // Nothing left unacked: a new consumer on the queue gets nothing.
    expect(await channel.get(lane.queue)).toBe(false);
  });

  it('handles each message of a failed batch alone: the good ones succeed, only the bad one is retried and dead-lettered', async () => {
    const good = Array.from({ length: 12 }, () => randomUUID());
    good.slice(0, 6).forEach((id) => send('work.batched', id));
    const bad = send('work.batched', randomUUID(), { poison: true });
    good.slice(6).forEach((id) => send('work.batched', id));
    await waitFor(async () => (await channel.checkQueue(`${lane.queue}.dlq`)).messageCount === 1, { what: 'the bad job to be dead-lettered' });
    expect(log.count(good)).toEqual(good.map(() => 1));
    expect(log.attemptsById.get(bad)!.filter((attempt) => attempt > 1)).toEqual([2, 3]);
    expect(log.batchSizes.some((size) => size > 1)).toBe(true);
    const dead = await channel.get(`${lane.queue}.dlq`, { noAck: true });
    expect(dead && JSON.parse(dead.content.toString()).id).toBe(bad);
    expect(dead && dead.properties.headers?.['x-dead-letter-reason']).toBe(`failed 3 attempts; last error: job ${bad} can never succeed`);
  });

  it('retries a whole batch that failed for a transient reason without counting attempts', async () => {
    log.outagesLeft = 4; // more than maxAttempts
    const ids = [send('work.batched', randomUUID(), { outage: true }), send('work.batched'), send('work.batched')];
    await waitFor(() => ids.every((id) => log.completed.includes(id)), { what: 'the jobs to complete after the outage' });
    expect(log.count(ids)).toEqual([1, 1, 1]);
    expect(log.attemptsById.get(ids[0])!.every((attempt) => attempt === 1)).toBe(true);
    expect((await channel.checkQueue(`${lane.queue}.dlq`)).messageCount).toBe(0);
  });

  it('declares retry and dead-letter queues for each queue of the topology', async () => {
    for (const queue of [lane.queue, `${lane.queue}.dlq`, `${lane.queue}.retry.100ms`, `${lane.queue}.retry.300ms`]) {
      await expect(channel.checkQueue(queue)).resolves.toMatchObject({ queue });
    }
  });

  it('publishes with confirms, and refuses a message no queue would receive', async () => {
    const publisher = app.get(Publisher);
    const id = randomUUID();
    await publisher.publish({ exchange: lane.events, routingKey: 'work.simple', messageId: randomUUID(), payload: { id } });
    await waitFor(() => log.completed.includes(id), { what: 'the published job' });
    await expect(publisher.publish({ exchange: lane.events, routingKey: 'nobody.listens', messageId: randomUUID(), payload: {} })).rejects.toBeInstanceOf(
      UnroutableMessageError,
    );
  });
});

describe('libs/messaging with batching: batches of one, several of a type at once', () => {
  const batching = { maxBatch: 1, concurrentBatches: 3 };
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let lane: Lane;
  let app: NestFastifyApplication | undefined;
  let log: WorkLog;
  let client: ChannelModel;
  let channel: Channel;

  const send = (id: string, flags: { outage?: boolean } = {}) =>
    channel.publish(lane.events, 'work.slow', Buffer.from(JSON.stringify({ id, ...flags })), { messageId: randomUUID(), type: 'work.slow', persistent: true });
  /** Handler calls per job: 1 when it was handled once and never came back. */
  const calls = (ids: string[]) => ids.map((id) => log.attemptsById.get(id)?.length ?? 0);

  beforeAll(async () => {
    vhost = await createVhost('messaging-batching');
  });

  afterAll(async () => {
    await vhost.remove();
  });

  beforeEach(async () => {
    lane = newLane();
    ({ app, log } = await startApp(vhost.url, lane, WorkConsumer, { batching }));
    client = await connect(vhost.url);
    channel = await client.createChannel();
  });

  afterEach(async () => {
    log.releaseAll();
    await app?.close();
    await client.close();
  });

  it('acks the messages of a type behind one held up in its handler while it is in flight, and that one once released', async () => {
    const ids = Array.from({ length: 10 }, () => randomUUID());
    const held = ids[3];
    const others = ids.filter((id) => id !== held);
    log.hold(held);
    ids.forEach((id) => send(id));

    await waitFor(() => others.every((id) => log.completed.includes(id)), { what: 'the 9 jobs besides the held one' });
    // The held one is still in its handler; the others were handled once and none came back or waits.
    expect(log.slowBatches.filter((batch) => batch.includes(held))).toEqual([[held]]);
    expect(log.completed).not.toContain(held);
    expect(calls(others)).toEqual(others.map(() => 1));
    expect((await channel.checkQueue(lane.queue)).messageCount).toBe(0);
    expect((await channel.checkQueue(`${lane.queue}.dlq`)).messageCount).toBe(0);

    log.release(held);
    await waitFor(() => log.completed.includes(held), { what: 'the held job, once released' });
    // Shutting down closes the consumer's channel, which would give back any delivery left unacked.
    await app!.close();
    app = undefined;
    expect(calls(ids)).toEqual(ids.map(() => 1));
    expect(log.count(ids)).toEqual(ids.map(() => 1));
    expect((await channel.checkQueue(lane.queue)).messageCount).toBe(0);
    expect(await channel.get(lane.queue)).toBe(false);
  });

  it('retries only the message whose handler failed for a transient reason, alone, and acks the others once', async () => {
    log.outagesLeft = 1;
    const ids = Array.from({ length: 10 }, () => randomUUID());
    const failed = ids[3];
    ids.forEach((id) => send(id, id === failed ? { outage: true } : {}));

    await waitFor(() => ids.every((id) => log.completed.includes(id)), { what: 'every job, the failed one after its retry' });
    expect(calls(ids)).toEqual(ids.map((id) => (id === failed ? 2 : 1)));
    // Both times alone, and the outage counted no attempt.
    expect(log.slowBatches.filter((batch) => batch.includes(failed))).toEqual([[failed], [failed]]);
    expect(log.attemptsById.get(failed)).toEqual([1, 1]);
    expect(log.count(ids)).toEqual(ids.map(() => 1));
    expect((await channel.checkQueue(`${lane.queue}.dlq`)).messageCount).toBe(0);
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
    const lane = newLane();
    const { app, log } = await startApp(url.toString(), lane);
    const client = await connect(vhost.url);
    const channel = await client.createChannel();
    try {
      const connection = app.get(AmqpConnection);
      proxy.cut();
      await waitFor(() => !connection.isConnected(), { what: 'the connection to drop' });
      await expect(
        app.get(Publisher).publish({ exchange: lane.events, routingKey: 'work.simple', messageId: randomUUID(), payload: { id: 'x' } }),
      ).rejects.toBeInstanceOf(BrokerUnavailableError);

      // Published while the consumer is cut off; consumed once it is back.
      const id = randomUUID();
      channel.publish(lane.events, 'work.simple', Buffer.from(JSON.stringify({ id })), { messageId: randomUUID(), type: 'work.simple', persistent: true });
      proxy.restore();
      await waitFor(() => log.completed.includes(id), { what: 'the job consumed after reconnecting' });
      expect(connection.isConnected()).toBe(true);
    } finally {
      await app.close();
      await client.close();
      await proxy.stop();
      await vhost.remove();
    }
  });

  it('with several broker addresses, fails over to another one when its node goes away, and consumes there', async () => {
    const vhost = await createVhost('messaging-failover');
    const { proxies, urls, doorInUse } = await twoDoors(vhost.url);
    const lane = newLane();
    const { app, log } = await startApp(urls, lane);
    try {
      const connection = app.get(AmqpConnection);
      const { node: first, door: down } = doorInUse(connection);
      down.cut(); // and it stays down: only the other address answers from now on
      await waitFor(() => connection.connectedNode() !== null && connection.connectedNode() !== first, { what: 'a connection through the other address' });

      const id = randomUUID();
      await app.get(Publisher).publish({ exchange: lane.events, routingKey: 'work.simple', messageId: randomUUID(), payload: { id } });
      await waitFor(() => log.completed.includes(id), { what: 'the job consumed through the other address' });
      expect(log.completed.filter((done) => done === id)).toHaveLength(1);
    } finally {
      await app.close();
      await Promise.all(proxies.map((proxy) => proxy.stop()));
      await vhost.remove();
    }
  });

  it('gives up a connection whose broker takes publishes but never confirms them, and publishes through the next address', async () => {
    const vhost = await createVhost('messaging-unconfirmed');
    // One of the two doors will stop passing confirms on.
    const { proxies, urls, doorInUse } = await twoDoors(vhost.url);
    const lane = newLane();
    const { app, log } = await startApp(urls, lane, WorkConsumer, { publishTimeoutMs: 500 });
    try {
      const connection = app.get(AmqpConnection);
      const { node: first, door: stuck } = doorInUse(connection);
      // Heartbeats, deliveries and every other answer still pass: only publisher confirms are withheld, for good.
      stuck.dropServerFrames(isPublisherConfirm);
      const publish = (id: string) =>
        app.get(Publisher).publish({ exchange: lane.events, routingKey: 'work.simple', messageId: randomUUID(), payload: { id } });

      const unconfirmed = randomUUID();
      await expect(publish(unconfirmed)).rejects.toBeInstanceOf(PublishTimeoutError);
      await waitFor(() => connection.connectedNode() !== null && connection.connectedNode() !== first, { what: 'a connection through the other address' });
      const confirmed = randomUUID();
      await expect(publish(confirmed)).resolves.toBeUndefined();
      await waitFor(() => log.completed.includes(confirmed), { what: 'the job published through the other address consumed' });
      // The broker did take the unconfirmed one: a caller that publishes it again (the outbox) makes a copy, which the inbox drops.
      await waitFor(() => log.completed.includes(unconfirmed), { what: 'the unconfirmed job consumed too' });
    } finally {
      await app.close();
      await Promise.all(proxies.map((proxy) => proxy.stop()));
      await vhost.remove();
    }
  });

  it('gives up a connection whose broker nacks every publish for longer than the publish timeout, and publishes through the next address', async () => {
    const vhost = await createVhost('messaging-nacked');
    const { proxies, urls, doorInUse } = await twoDoors(vhost.url);
    const lane = newLane();
    const { app, log } = await startApp(urls, lane, WorkConsumer, { publishTimeoutMs: 500 });
    try {
      const connection = app.get(AmqpConnection);
      const { node: first, door: refusing } = doorInUse(connection);
      // Every publisher confirm of this door arrives as a basic.nack; all else passes.
      refusing.rewriteServerFrames(nackInsteadOfAck);
      const publish = (id: string) =>
        app.get(Publisher).publish({ exchange: lane.events, routingKey: 'work.simple', messageId: randomUUID(), payload: { id } });

      // Published again and again, as the outbox relay does, until the connection is given up.
      const refusals: unknown[] = [];
      await waitFor(
        async () => {
          refusals.push(await publish(randomUUID()).catch((err: unknown) => err));
          return connection.connectedNode() !== null && connection.connectedNode() !== first;
        },
        { what: 'a connection through the other address', intervalMs: 100 },
      );
      // Nacked until the connection was given up (then, briefly, not connected); none confirmed on it.
      expect(refusals.filter((refusal) => refusal instanceof PublishNackedError).length).toBeGreaterThan(1);
      expect(
        refusals
          .filter((refusal) => refusal !== undefined)
          .every((refusal) => refusal instanceof PublishNackedError || refusal instanceof BrokerUnavailableError),
      ).toBe(true);
      const confirmed = randomUUID();
      await expect(publish(confirmed)).resolves.toBeUndefined();
      await waitFor(() => log.completed.includes(confirmed), { what: 'the job published through the other address consumed' });
    } finally {
      await app.close();
      await Promise.all(proxies.map((proxy) => proxy.stop()));
      await vhost.remove();
    }
  });

  it('keeps a connection whose broker returns unroutable messages (returned, then acked) for longer than the publish timeout', async () => {
    const vhost = await createVhost('messaging-unroutable-kept');
    const lane = newLane();
    const { app } = await startApp(vhost.url, lane, WorkConsumer, { publishTimeoutMs: 300 });
    try {
      const connection = app.get(AmqpConnection);
      const node = connection.connectedNode();
      const publisher = app.get(Publisher);
      const started = Date.now();
      while (Date.now() - started < 1_000) {
        // An unroutable one, then one a queue receives: the broker works, a route is missing.
        await expect(publisher.publish({ exchange: lane.events, routingKey: 'nobody.listens', messageId: randomUUID(), payload: {} })).rejects.toBeInstanceOf(
          UnroutableMessageError,
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(connection.connectedNode()).toBe(node);
      await expect(
        publisher.publish({ exchange: lane.events, routingKey: 'work.simple', messageId: randomUUID(), payload: { id: 'x' } }),
      ).resolves.toBeUndefined();
    } finally {
      await app.close();
      await vhost.remove();
    }
  });

  it('gives up a connection whose consumer receives nothing while its queue has messages ready, and consumes through the next address', async () => {
    const vhost = await createVhost('messaging-stalled-consumer');
    const { proxies, urls, doorInUse } = await twoDoors(vhost.url);
    const lane = newLane();
    const { app, log } = await startApp(urls, lane, WorkConsumer, { consumerStallCheckMs: 200 });
    const client = await connect(vhost.url);
    const channel = await client.createChannel();
    try {
      const connection = app.get(AmqpConnection);
      const { node: first, door: stalled } = doorInUse(connection);
      // The broker sends the delivery, but it never reaches the consumer: basic.deliver and its
      // content frames are dropped, everything else (heartbeats, answers) passes. The broker counts
      // them as unacked, up to the prefetch (20); the consumer holds nothing; the rest wait in the queue, ready.
      const droppingContentOf = new Set<number>();
      stalled.dropServerFrames((frame) => {
        if (frame.type === 1) {
          const deliver = frame.classId === 60 && frame.methodId === 60;
          if (deliver) droppingContentOf.add(frame.channel);
          else droppingContentOf.delete(frame.channel);
          return deliver;
        }
        return (frame.type === 2 || frame.type === 3) && droppingContentOf.has(frame.channel);
      });
      const ids: string[] = Array.from({ length: 25 }, () => randomUUID());
      for (const id of ids)
        channel.publish(lane.events, 'work.simple', Buffer.from(JSON.stringify({ id })), { messageId: randomUUID(), type: 'work.simple', persistent: true });
      await waitFor(() => connection.connectedNode() !== null && connection.connectedNode() !== first, { what: 'a connection through the other address' });
      await waitFor(() => ids.every((id) => log.completed.includes(id)), { what: 'every job consumed through the other address' });
      expect(log.completed.filter((done) => ids.includes(done))).toHaveLength(ids.length);
    } finally {
      await app.close();
      await client.close();
      await Promise.all(proxies.map((proxy) => proxy.stop()));
      await vhost.remove();
    }
  });

  it('gives up a connection setup the broker never answers, and connects on the next attempt', async () => {
    const vhost = await createVhost('messaging-setup-unanswered');
    const broker = new URL(TEST_RABBITMQ_URL);
    const proxy = new TcpProxy(broker.hostname, Number(broker.port || 5672), { protocol: 'amqp' });
    const url = new URL(vhost.url);
    url.hostname = '127.0.0.1';
    url.port = String(await proxy.start());
    const lane = newLane();
    // queue.declare-ok (class 50, method 11): the broker never answers the declaration of a queue.
    proxy.dropServerFrames((frame) => frame.type === 1 && frame.classId === 50 && frame.methodId === 11);
    const connection = new AmqpConnection({
      urls: [url.toString()],
      connectionName: 'setup-unanswered-test',
      topology: lane.topology,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      setupTimeoutMs: 500,
    });
    try {
      await connection.onModuleInit();
      await waitFor(() => proxy.accepted >= 2, { what: 'a second attempt after the unanswered setup', timeoutMs: 10_000 });
      expect(connection.isConnected()).toBe(false);
      proxy.dropServerFrames(null);
      await connection.waitUntilConnected();
      await expect(connection.publishConfirmed(lane.events, 'work.simple', Buffer.from('{}'), { messageId: randomUUID() })).resolves.toBeUndefined();
    } finally {
      await connection.onApplicationShutdown();
      await proxy.stop();
      await vhost.remove();
    }
  });

  it('subscribes again when the broker cancels its consumer (basic.cancel), and consumes what comes next', async () => {
    const vhost = await createVhost('messaging-cancel');
    const lane = newLane();
    const { app, log } = await startApp(vhost.url, lane);
    const client = await connect(vhost.url);
    const channel = await client.createChannel();
    try {
      // Deleting the queue makes the broker cancel its consumer; the queue must come back with a consumer on it.
      await channel.deleteQueue(lane.queue);
      await waitFor(
        async () => {
          const probe = await client.createChannel();
          probe.on('error', () => undefined);
          const queue = await probe.checkQueue(lane.queue).catch(() => null);
          await probe.close().catch(() => undefined);
          return queue !== null && queue.consumerCount === 1;
        },
        { what: 'the queue declared again and consumed again', intervalMs: 100 },
      );
      const id = randomUUID();
      channel.publish(lane.events, 'work.simple', Buffer.from(JSON.stringify({ id })), { messageId: randomUUID(), type: 'work.simple', persistent: true });
      await waitFor(() => log.completed.includes(id), { what: 'the job published after the cancel consumed' });
    } finally {
      await app.close();
      await client.close();
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
    const lane = newLane();
    const connection = new AmqpConnection({
      urls: [url.toString()],
      connectionName: 'setup-cut-test',
      topology: lane.topology,
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
      await expect(connection.publishConfirmed(lane.events, 'work.simple', Buffer.from('{}'), { messageId: randomUUID() })).resolves.toBeUndefined();
    } finally {
      await connection.onApplicationShutdown();
      await proxy.stop();
      await vhost.remove();
    }
  });
});

describe('libs/messaging: a declaration a crash stopped half way', () => {
  it("binds a receiver's queue it finds unbound (its producer was killed between declaring and binding it), so every event is routed", async () => {
    const vhost = await createVhost('messaging-half-declared');
    const lane = newLane();
    const receiver = lane.topology.queues[0];
    // The producer's view: its own exchange, and the receiver's queue, which it declares where missing.
    const producerTopology: Topology = { ...lane.topology, exchanges: lane.topology.exchanges.slice(0, 1), queues: [], externalQueues: [receiver] };
    const client = await connect(vhost.url);
    const channel = await client.createChannel();
    // What a producer killed half way leaves: its exchange and the receiver's queue, without the binding.
    await channel.assertExchange(lane.events, 'topic', { durable: true });
    await declareMainQueue(channel, receiver, lane.topology.deadLetterExchange);
    const connection = new AmqpConnection({ urls: [vhost.url], connectionName: 'half-declared-test', topology: producerTopology });
    try {
      await connection.onModuleInit();
      await connection.waitUntilConnected();
      const ids = Array.from({ length: 5 }, () => randomUUID());
      for (const id of ids) await connection.publishConfirmed(lane.events, 'work.simple', Buffer.from(JSON.stringify({ id })), { messageId: id });
      expect((await channel.checkQueue(receiver.name)).messageCount).toBe(ids.length);
    } finally {
      await connection.onApplicationShutdown();
      await client.close();
      await vhost.remove();
    }
  });
});
