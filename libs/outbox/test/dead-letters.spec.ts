import { AmqpConnection, declareTopology, deadLetterQueueName, HEADERS, type MessagingOptions, type Topology } from '@shop/messaging';
import { createDatabase, createVhost, TcpProxy, waitFor } from '@shop/testing';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DeadLetterStore, deadLetterFingerprint, OUTBOX_MIGRATIONS } from '../src';

const QUEUE = 'dl.work';
const TOPOLOGY: Topology = {
  retryExchange: 'dl.retry',
  deadLetterExchange: 'dl.dlx',
  exchanges: [
    { name: 'dl.events', type: 'topic' },
    { name: 'dl.retry', type: 'direct' },
    { name: 'dl.dlx', type: 'direct' },
  ],
  queues: [{ name: QUEUE, bindings: [{ exchange: 'dl.events', routingKey: 'thing.#' }], retryDelaysMs: [1_000], maxAttempts: 3 }],
};

describe('dead letters kept in the database (DeadLetterStore) on real PostgreSQL and RabbitMQ', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let dataSource: DataSource;
  let broker: ChannelModel;
  let channel: Channel;
  const stores: DeadLetterStore[] = [];
  const connections: AmqpConnection[] = [];
  const proxies: TcpProxy[] = [];

  /** A store as a service runs it, its broker connection through a proxy the test can cut. */
  async function startStore(): Promise<{ store: DeadLetterStore; proxy: TcpProxy }> {
    const url = new URL(vhost.url);
    const proxy = new TcpProxy(url.hostname, Number(url.port || 5672));
    proxies.push(proxy);
    url.hostname = '127.0.0.1';
    url.port = String(await proxy.start());
    const options: MessagingOptions = { urls: [url.toString()], connectionName: 'dead-letter-test', topology: TOPOLOGY };
    const connection = new AmqpConnection(options);
    connections.push(connection);
    const store = new DeadLetterStore(dataSource, connection, options, {});
    stores.push(store);
    await connection.onModuleInit();
    await store.onApplicationBootstrap();
    return { store, proxy };
  }

  /** A message as the consumer's Settler dead-letters it after its last attempt. */
  function deadLetter(messageId: string, lastError: string, extra: Record<string, unknown> = {}): void {
    channel.publish('dl.dlx', QUEUE, Buffer.from(JSON.stringify({ orderId: messageId })), {
      messageId,
      type: 'thing.happened',
      persistent: true,
      headers: {
        [HEADERS.deadLetterReason]: `failed 3 attempts; last error: ${lastError}`,
        [HEADERS.errorClass]: 'QueryFailedError',
        [HEADERS.deadLetteredFrom]: QUEUE,
        [HEADERS.attempt]: 3,
        [HEADERS.lastError]: lastError,
        [HEADERS.firstFailedAt]: '2026-12-06T10:00:00.000Z',
        [HEADERS.deadLetteredAt]: '2026-12-06T10:00:07.000Z',
        ...extra,
      },
    });
  }

  const rows = () =>
    dataSource.query<{ message_id: string; replay_count: number; fingerprint: string; status: string }[]>(
      `SELECT message_id, replay_count, fingerprint, status FROM dead_letters ORDER BY message_id, replay_count`,
    );
  const dlqDepth = async () => (await channel.checkQueue(deadLetterQueueName(QUEUE))).messageCount;

  beforeAll(async () => {
    database = await createDatabase('dead_letters_test');
    vhost = await createVhost('dead-letters-test');
    dataSource = new DataSource({ type: 'postgres', url: database.url, migrations: OUTBOX_MIGRATIONS });
    await dataSource.initialize();
    await dataSource.runMigrations();
    broker = await connect(vhost.url);
    channel = await broker.createChannel();
    await declareTopology(channel, TOPOLOGY);
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.onModuleDestroy();
    for (const connection of connections.splice(0)) await connection.onApplicationShutdown();
    for (const proxy of proxies.splice(0)) await proxy.stop();
    await dataSource.query('DELETE FROM dead_letters');
  });

  afterAll(async () => {
    await broker.close();
    await dataSource.destroy();
    await database.drop();
    await vhost.remove();
  });

  it('keeps each dead letter once with what its headers say, grouped by cause, and empties the dead-letter queue', async () => {
    const { store } = await startStore();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    deadLetter(ids[0], `relation "stock" does not exist (order ${ids[0]})`);
    deadLetter(ids[1], `relation "stock" does not exist (order ${ids[1]})`);
    deadLetter(ids[2], 'permission denied for table stock');
    // A copy of the first, as the queue delivers it again after a crash between commit and ack.
    deadLetter(ids[0], `relation "stock" does not exist (order ${ids[0]})`);
    // One the broker dead-lettered (its delivery limit), with none of our headers.
    const crashed = randomUUID();
    channel.publish('dl.dlx', QUEUE, Buffer.from('not json'), {
      messageId: crashed,
      type: 'thing.happened',
      headers: { 'x-first-death-reason': 'delivery_limit' },
    });

    await waitFor(async () => (await rows()).length === 4 && (await dlqDepth()) === 0, { timeoutMs: 15_000, what: 'four dead letters kept, the queue empty' });
    // Both "relation does not exist" failures share one group, whatever their order ids.
    const group = await store.list({
      fingerprint: deadLetterFingerprint(QUEUE, 'QueryFailedError', `failed 3 attempts; last error: relation "stock" does not exist (order ${ids[1]})`),
    });
    expect(group.map((row) => row.messageId).sort()).toEqual([ids[0], ids[1]].sort());
    const letter = group.find((row) => row.messageId === ids[0])!;
    expect(letter).toMatchObject({
      queue: QUEUE,
      routingKey: 'thing.happened',
      messageType: 'thing.happened',
      payload: { orderId: ids[0] },
      errorClass: 'QueryFailedError',
      attempts: 3,
      replayCount: 0,
      status: 'open',
      lastError: `relation "stock" does not exist (order ${ids[0]})`,
    });
    expect(letter.firstFailedAt.toISOString()).toBe('2026-12-06T10:00:00.000Z');
    expect(letter.lastFailedAt.toISOString()).toBe('2026-12-06T10:00:07.000Z');

    const groups = await store.groups();
    expect(groups[0]).toMatchObject({ errorClass: 'QueryFailedError', count: 2, queue: QUEUE });
    expect(
      groups
        .slice(1)
        .map((group) => `${group.errorClass} ${group.count}`)
        .sort(),
    ).toEqual(['BrokerDeadLettered 1', 'QueryFailedError 1']);
    const byBroker = (await store.list()).find((row) => row.messageId === crashed)!;
    expect(byBroker).toMatchObject({
      errorClass: 'BrokerDeadLettered',
      reason: 'the broker dead-lettered it (delivery_limit)',
      body: 'not json',
      payload: null,
    });
  });

  it('loses none and keeps none twice when its broker link is cut in the middle of taking 300', async () => {
    const { proxy } = await startStore();
    const ids = Array.from({ length: 300 }, () => randomUUID());
    for (const id of ids) deadLetter(id, 'boom');
    await waitFor(async () => (await rows()).length >= 40, { timeoutMs: 15_000, what: 'the intake under way' });
    proxy.cut(); // unacked deliveries go back to the queue, some of them already kept
    await new Promise((resolve) => setTimeout(resolve, 500));
    proxy.restore();
    await waitFor(async () => (await dlqDepth()) === 0 && (await rows()).length === 300, { timeoutMs: 60_000, what: 'every dead letter kept after the cut' });
    const kept = await rows();
    expect(new Set(kept.map((row) => row.message_id))).toEqual(new Set(ids));
    expect(kept.every((row) => row.status === 'open')).toBe(true);
  });

  it('keeps a replay that failed again apart from its first failure, linked to it', async () => {
    const { store } = await startStore();
    const id = randomUUID();
    deadLetter(id, 'boom');
    const [first] = await waitFor(async () => {
      const found = await store.list();
      return found.length === 1 && found;
    });
    deadLetter(id, 'boom', { [HEADERS.replayOf]: first.id, [HEADERS.replayCount]: 1 });
    await waitFor(async () => (await rows()).length === 2, { what: 'the replay kept too' });
    const again = (await store.list()).find((row) => row.replayCount === 1)!;
    expect(again).toMatchObject({ messageId: id, replayOf: first.id, fingerprint: first.fingerprint });
  });

  it('resolves an open dead letter once, and purges only resolved ones past the retention', async () => {
    const { store } = await startStore();
    deadLetter(randomUUID(), 'boom');
    deadLetter(randomUUID(), 'boom');
    const [one, two] = await waitFor(async () => {
      const found = await store.list();
      return found.length === 2 && found;
    });
    const resolved = await Promise.all([
      store.resolve(one.id, 'discarded', 'ada', async () => 'first'),
      store.resolve(one.id, 'discarded', 'bob', async () => 'second'),
    ]);
    expect(resolved.filter((result) => result !== null)).toHaveLength(1);
    expect((await store.find(one.id))!.resolvedBy).toMatch(/^(ada|bob)$/);
    await dataSource.query(`UPDATE dead_letters SET resolved_at = now() - interval '2 hours', taken_at = now() - interval '2 hours' WHERE id = $1`, [one.id]);
    await dataSource.query(`UPDATE dead_letters SET taken_at = now() - interval '2 hours', last_failed_at = now() - interval '2 hours' WHERE id = $1`, [
      two.id,
    ]);
    expect(await store.purgeResolved(1, 100)).toBe(1);
    expect((await store.list()).map((row) => row.id)).toEqual([two.id]);
  });
});
