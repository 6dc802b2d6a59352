import { AmqpConnection, Publisher, type Topology } from '@shop/messaging';
import { createDatabase, createVhost, waitFor } from '@shop/testing';
import { connect, type ChannelModel } from 'amqplib';
import { DataSource } from 'typeorm';
import { CreateOutboxAndInbox1732500000000, InboxService, OutboxRelay, OutboxService } from '../src';

const TOPOLOGY: Topology = {
  retryExchange: 'relay.retry',
  deadLetterExchange: 'relay.dlx',
  exchanges: [
    { name: 'relay.events', type: 'topic' },
    { name: 'relay.retry', type: 'direct' },
    { name: 'relay.dlx', type: 'direct' },
  ],
  queues: [{ name: 'relay.sink', bindings: [{ exchange: 'relay.events', routingKey: '#' }], retryDelaysMs: [], maxAttempts: 1 }],
};

describe('libs/outbox on real PostgreSQL and RabbitMQ', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  const dataSources: DataSource[] = [];
  const connections: AmqpConnection[] = [];
  let inspector: ChannelModel;

  async function newDataSource(): Promise<DataSource> {
    const dataSource = new DataSource({ type: 'postgres', url: database.url, migrations: [CreateOutboxAndInbox1732500000000], extra: { max: 5 } });
    await dataSource.initialize();
    dataSources.push(dataSource);
    return dataSource;
  }

  async function newRelay(outbox = new OutboxService({}), pollIntervalMs = 100): Promise<OutboxRelay> {
    const connection = new AmqpConnection({ url: vhost.url, connectionName: 'relay-test', topology: TOPOLOGY });
    await connection.onModuleInit();
    await connection.waitUntilConnected();
    connections.push(connection);
    return new OutboxRelay(await newDataSource(), new Publisher(connection), outbox, { batchSize: 50, pollIntervalMs });
  }

  /** Takes every message waiting in relay.sink. */
  async function drainSink(): Promise<{ id: string; payload: unknown }[]> {
    const channel = await inspector.createChannel();
    const messages: { id: string; payload: unknown }[] = [];
    for (let message = await channel.get('relay.sink', { noAck: true }); message; message = await channel.get('relay.sink', { noAck: true })) {
      messages.push({ id: message.properties.messageId, payload: JSON.parse(message.content.toString()) });
    }
    await channel.close();
    return messages;
  }

  beforeAll(async () => {
    database = await createDatabase('outbox_test');
    vhost = await createVhost('outbox-test');
    await (await newDataSource()).runMigrations();
    inspector = await connect(vhost.url);
  });

  afterAll(async () => {
    await inspector.close();
    for (const connection of connections) await connection.onApplicationShutdown();
    for (const dataSource of dataSources) await dataSource.destroy();
    await database.drop();
    await vhost.remove();
  });

  it('three relays running at once publish each committed row exactly once', async () => {
    const dataSource = dataSources[0];
    const outbox = new OutboxService({});
    for (let batch = 0; batch < 10; batch++) {
      await dataSource.transaction(async (manager) => {
        for (let i = 0; i < 30; i++) await outbox.enqueue(manager, { exchange: 'relay.events', routingKey: 'thing.happened', payload: { batch, i } });
      });
    }
    const relays = await Promise.all([newRelay(), newRelay(), newRelay()]);
    relays.forEach((relay) => relay.onApplicationBootstrap());
    try {
      await waitFor(async () => (await dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`))[0].n === 0, {
        what: 'every row published',
      });
    } finally {
      await Promise.all(relays.map((relay) => relay.onModuleDestroy()));
    }

    const channel = await inspector.createChannel();
    const ids: string[] = [];
    for (let message = await channel.get('relay.sink', { noAck: true }); message; message = await channel.get('relay.sink', { noAck: true })) {
      ids.push(message.properties.messageId);
      expect(message.properties.headers?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
    const rows: { id: string }[] = await dataSource.query(`SELECT id FROM outbox`);
    // Each row once: no row missing, none published twice by competing relays.
    expect(ids.sort()).toEqual(rows.map((row) => row.id).sort());
    expect(ids).toHaveLength(300);
    await channel.close();
  });

  it('a rolled-back transaction leaves no outbox row', async () => {
    const dataSource = dataSources[0];
    const before = (await dataSource.query(`SELECT count(*)::int AS n FROM outbox`))[0].n;
    await expect(
      dataSource.transaction(async (manager) => {
        await new OutboxService({}).enqueue(manager, { exchange: 'relay.events', routingKey: 'thing.happened', payload: {} });
        throw new Error('the business change failed');
      }),
    ).rejects.toThrow('the business change failed');
    expect((await dataSource.query(`SELECT count(*)::int AS n FROM outbox`))[0].n).toBe(before);
  });

  it('enqueue refuses to run outside a transaction', async () => {
    await expect(new OutboxService({}).enqueue(dataSources[0].manager, { exchange: 'x', routingKey: 'y', payload: {} })).rejects.toThrow(
      /inside the transaction/,
    );
  });

  it('the inbox runs an effect once per message, even for concurrent duplicates', async () => {
    const dataSource = dataSources[0];
    await dataSource.query(`CREATE TABLE IF NOT EXISTS effects (message_id text)`);
    const inbox = new InboxService();
    const handle = () =>
      dataSource.transaction((manager) =>
        inbox.runOnce(manager, 'test-consumer', 'message-1', async () => {
          await manager.query(`INSERT INTO effects VALUES ('message-1')`);
        }),
      );
    const outcomes = await Promise.all([handle(), handle(), handle()]);
    expect(outcomes.filter((outcome) => !outcome.duplicate)).toHaveLength(1);
    expect((await dataSource.query(`SELECT count(*)::int AS n FROM effects`))[0].n).toBe(1);
  });

  it('enqueueMany writes several events in one statement, each published once', async () => {
    const dataSource = dataSources[0];
    const outbox = new OutboxService({});
    const ids = await dataSource.transaction((manager) =>
      outbox.enqueueMany(
        manager,
        [1, 2, 3].map((n) => ({ exchange: 'relay.events', routingKey: 'thing.happened', payload: { n }, correlationId: `c-${n}` })),
      ),
    );
    const relay = await newRelay(outbox);
    relay.onApplicationBootstrap();
    try {
      await waitFor(
        async () => (await dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE id = ANY($1) AND published_at IS NOT NULL`, [ids]))[0].n === 3,
        {
          what: 'the three rows published',
        },
      );
    } finally {
      await relay.onModuleDestroy();
    }
    const messages = await drainSink();
    expect(messages.filter((message) => ids.includes(message.id)).map((message) => message.payload)).toEqual(
      expect.arrayContaining([{ n: 1 }, { n: 2 }, { n: 3 }]),
    );
    expect(messages.filter((message) => ids.includes(message.id))).toHaveLength(3);
  });

  it('a row the caller wrote in its own statement is published when the caller says it committed (no notification, no poll)', async () => {
    const dataSource = dataSources[0];
    const outbox = new OutboxService({});
    // Polls every 10 minutes: within this test only committed() can wake it.
    const relay = await newRelay(outbox, 600_000);
    relay.onApplicationBootstrap();
    try {
      await waitFor(() => relay.isIdle(), { what: 'the relay idle' });
      const message = outbox.message({ exchange: 'relay.events', routingKey: 'thing.happened', payload: { own: 'statement' } });
      await dataSource.query(`INSERT INTO outbox (id, exchange, routing_key, payload, headers) VALUES ($1, $2, $3, $4, $5)`, [
        message.id,
        message.exchange,
        message.routing_key,
        JSON.stringify(message.payload),
        JSON.stringify(message.headers),
      ]);
      outbox.committed();
      await waitFor(async () => (await dataSource.query(`SELECT published_at FROM outbox WHERE id = $1`, [message.id]))[0].published_at !== null, {
        what: 'the row published',
      });
    } finally {
      await relay.onModuleDestroy();
    }
    expect(await drainSink()).toContainEqual({ id: expect.any(String), payload: { own: 'statement' } });
  });

  it('claimMany records a batch of message ids once: it returns only the messages not seen before, each once', async () => {
    const dataSource = dataSources[0];
    const inbox = new InboxService();
    const message = (messageId: string, n: number) => ({ messageId, n });
    const first = await dataSource.transaction((manager) =>
      inbox.claimMany(manager, 'batch-consumer', [message('m-1', 1), message('m-2', 2), message('m-2', 3)]),
    );
    const second = await dataSource.transaction((manager) => inbox.claimMany(manager, 'batch-consumer', [message('m-2', 4), message('m-3', 5)]));
    expect(first).toEqual([message('m-1', 1), message('m-2', 2)]);
    expect(second).toEqual([message('m-3', 5)]);
    await expect(inbox.claimMany(dataSource.manager, 'batch-consumer', [message('m-4', 6)])).rejects.toThrow(/inside the transaction/);
  });
});
