import { Logger } from '@nestjs/common';
import { AmqpConnection, Publisher, type Topology } from '@shop/messaging';
import { createDatabase, createVhost, TcpProxy, TEST_RABBITMQ_URL, waitFor } from '@shop/testing';
import { connect, type ChannelModel } from 'amqplib';
import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { InboxService, OUTBOX_MIGRATIONS, OutboxRelay, OutboxService, PURGE_BATCH_SIZE, RETENTION_STATEMENTS, type OutboxOptions } from '../src';

const TOPOLOGY: Topology = {
  retryExchange: 'relay.retry',
  deadLetterExchange: 'relay.dlx',
  exchanges: [
    { name: 'relay.events', type: 'topic' },
    // No queue is bound to it.
    { name: 'relay.quiet', type: 'topic' },
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
    const dataSource = new DataSource({ type: 'postgres', url: database.url, migrations: OUTBOX_MIGRATIONS, extra: { max: 5 } });
    await dataSource.initialize();
    dataSources.push(dataSource);
    return dataSource;
  }

  const newOutbox = (options: OutboxOptions = {}) => new OutboxService(dataSources[0], options);
  const thing = (payload: unknown) => ({ exchange: 'relay.events', routingKey: 'thing.happened', payload });

  async function newRelay(outbox?: OutboxService, pollIntervalMs = 100, options: OutboxOptions = {}, url = vhost.url): Promise<OutboxRelay> {
    const connection = new AmqpConnection({
      urls: [url],
      connectionName: 'relay-test',
      topology: TOPOLOGY,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    await connection.onModuleInit();
    if (url === vhost.url) await connection.waitUntilConnected();
    connections.push(connection);
    const dataSource = await newDataSource();
    return new OutboxRelay(dataSource, new Publisher(connection), outbox ?? new OutboxService(dataSource, {}), { batchSize: 50, pollIntervalMs, ...options });
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
    const outbox = newOutbox();
    for (let batch = 0; batch < 10; batch++) {
      await dataSource.transaction(async (manager) => {
        for (let i = 0; i < 30; i++) await outbox.add(manager, [thing({ batch, i })]);
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
        await newOutbox().add(manager, [thing({})]);
        throw new Error('the business change failed');
      }),
    ).rejects.toThrow('the business change failed');
    expect((await dataSource.query(`SELECT count(*)::int AS n FROM outbox`))[0].n).toBe(before);
  });

  it('add refuses to run outside a transaction', async () => {
    await expect(newOutbox().add(dataSources[0].manager, [thing({})])).rejects.toThrow(/inside the transaction/);
  });

  it('the inbox runs an effect once per message, even for concurrent duplicates', async () => {
    const dataSource = dataSources[0];
    await dataSource.query(`CREATE TABLE IF NOT EXISTS effects (message_id text)`);
    const inbox = new InboxService();
    const handle = () =>
      dataSource.transaction(async (manager) => {
        const todo = await inbox.claimMany(manager, 'test-consumer', [{ messageId: 'message-1' }]);
        for (const message of todo) await manager.query(`INSERT INTO effects VALUES ($1)`, [message.messageId]);
        return todo.length;
      });
    const applied = await Promise.all([handle(), handle(), handle()]);
    expect(applied.sort()).toEqual([0, 0, 1]);
    expect((await dataSource.query(`SELECT count(*)::int AS n FROM effects`))[0].n).toBe(1);
  });

  it('add writes several events in one statement, each published once', async () => {
    const dataSource = dataSources[0];
    const outbox = newOutbox();
    const ids = await dataSource.transaction((manager) =>
      outbox.add(
        manager,
        [1, 2, 3].map((n) => ({ ...thing({ n }), correlationId: `c-${n}` })),
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

  it('an event no queue has to receive is published once and dropped by the broker; one that must be routed is kept while it is not', async () => {
    const dataSource = dataSources[0];
    const outbox = newOutbox();
    const [quiet, unroutable] = await dataSource.transaction((manager) =>
      outbox.add(manager, [
        { exchange: 'relay.quiet', routingKey: 'nobody.subscribed', payload: { n: 1 } },
        { exchange: 'relay.quiet', routingKey: 'must.arrive', payload: { n: 2 } },
      ]),
    );
    const relay = await newRelay(outbox, 100, { mustBeRouted: (routingKey) => routingKey !== 'nobody.subscribed' });
    relay.onApplicationBootstrap();
    const row = async (id: string) =>
      (await dataSource.query(`SELECT published_at IS NOT NULL AS published, publish_attempts FROM outbox WHERE id = $1`, [id]))[0] as {
        published: boolean;
        publish_attempts: number;
      };
    try {
      await waitFor(async () => (await row(quiet)).published, { what: 'the event nobody has to receive published' });
      await waitFor(async () => (await row(unroutable)).publish_attempts >= 2, { what: 'the unroutable event tried again' });
    } finally {
      await relay.onModuleDestroy();
    }
    expect(await row(quiet)).toEqual({ published: true, publish_attempts: 1 });
    expect((await row(unroutable)).published).toBe(false);
    await dataSource.query(`DELETE FROM outbox WHERE id = $1`, [unroutable]);
  });

  it('an unroutable row at the head holds back none of the rows behind it, and is parked with its reason after maxPublishAttempts', async () => {
    const dataSource = dataSources[0];
    const outbox = newOutbox();
    const [bad] = await dataSource.transaction((manager) =>
      outbox.add(manager, [{ exchange: 'relay.quiet', routingKey: 'must.arrive', payload: { bad: true } }]),
    );
    const good = await dataSource.transaction((manager) =>
      outbox.add(
        manager,
        Array.from({ length: 300 }, (_, n) => thing({ good: n })),
      ),
    );
    const relay = await newRelay(outbox, 100, { maxPublishAttempts: 3, rowBackoffInitialMs: 50, rowBackoffMaxMs: 200 });
    const row = async (id: string) =>
      (
        await dataSource.query(
          `SELECT published_at IS NOT NULL AS published, parked_at IS NOT NULL AS parked, refusals, last_error FROM outbox WHERE id = $1`,
          [id],
        )
      )[0] as { published: boolean; parked: boolean; refusals: number; last_error: string | null } | undefined;
    relay.onApplicationBootstrap();
    try {
      await waitFor(
        async () => (await dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE id = ANY($1) AND published_at IS NULL`, [good]))[0].n === 0,
        {
          what: 'every good row published',
        },
      );
      await waitFor(async () => (await row(bad))!.parked, { what: 'the unroutable row parked' });
      // Parked rows are claimed no more: no attempt after the third.
      await waitFor(() => relay.isIdle(), { what: 'the relay idle' });
      expect(await row(bad)).toEqual({ published: false, parked: true, refusals: 3, last_error: 'no queue is bound to relay.quiet for "must.arrive"' });
      expect(relay.failingForSeconds()).toBe(0);
      expect(await outbox.backlog()).toMatchObject({ parked: 1 });
      expect(
        (await outbox.parked()).map((parked) => ({
          id: parked.id,
          routingKey: parked.routing_key,
          attempts: parked.publish_attempts,
          refusals: parked.refusals,
        })),
      ).toEqual([{ id: bad, routingKey: 'must.arrive', attempts: 3, refusals: 3 }]);

      // An operator's retry: three fresh attempts, refused again, parked again (six attempts in all). Then a discard.
      expect(await outbox.retryParked(bad)).toBe(true);
      expect(await outbox.retryParked(bad)).toBe(false);
      await waitFor(async () => (await row(bad))!.parked, { what: 'the retried row parked again' });
      expect((await outbox.parked()).map((parked) => [parked.publish_attempts, parked.refusals])).toEqual([[6, 3]]);
      expect(await outbox.discardParked(bad)).toMatchObject({ id: bad, routing_key: 'must.arrive' });
      expect(await row(bad)).toBeUndefined();
      expect(await outbox.discardParked(good[0])).toBeNull();
    } finally {
      await relay.onModuleDestroy();
    }
    const delivered = (await drainSink()).map((message) => message.id);
    expect(good.every((id) => delivered.includes(id))).toBe(true);
  });

  it('a relay that cannot reach the broker says so every failureReportIntervalMs while it lasts, and in a gauge, until it publishes again', async () => {
    const dataSource = dataSources[0];
    const outbox = newOutbox();
    const broker = new URL(TEST_RABBITMQ_URL);
    const proxy = new TcpProxy(broker.hostname, Number(broker.port || 5672));
    const url = new URL(vhost.url);
    url.hostname = '127.0.0.1';
    url.port = String(await proxy.start());
    proxy.cut(); // the broker is down from the start
    const warnings: string[] = [];
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
    const [id] = await dataSource.transaction((manager) => outbox.add(manager, [thing({ kept: 'through the outage' })]));
    const relay = await newRelay(outbox, 100, { maxBackoffMs: 100, failureReportIntervalMs: 300 }, url.toString());
    const failingSeconds = async () => (await register.getSingleMetric('outbox_relay_failing_seconds')!.get()).values[0].value;
    relay.onApplicationBootstrap();
    try {
      await waitFor(() => warnings.filter((line) => line.startsWith('outbox relay still cannot publish')).length >= 3, { what: 'three reports of the streak' });
      expect(warnings.filter((line) => line.startsWith('outbox relay cannot publish'))).toHaveLength(1);
      expect(warnings.find((line) => line.startsWith('outbox relay still cannot publish'))).toMatch(
        /^outbox relay still cannot publish after \d+ s: \d+ attempts and \d+ publishes failed \(last: not connected to the broker\); rows are kept$/,
      );
      expect(await failingSeconds()).toBeGreaterThan(0);
      proxy.restore();
      await waitFor(async () => (await dataSource.query(`SELECT published_at FROM outbox WHERE id = $1`, [id]))[0].published_at !== null, {
        what: 'the row published once the broker is back',
      });
      expect(await failingSeconds()).toBe(0);
      // Every failed attempt is on the row, none as a refusal: an outage of any length parks nothing.
      expect((await dataSource.query(`SELECT publish_attempts, refusals FROM outbox WHERE id = $1`, [id]))[0]).toEqual({
        publish_attempts: expect.any(Number),
        refusals: 0,
      });
      expect((await dataSource.query(`SELECT publish_attempts FROM outbox WHERE id = $1`, [id]))[0].publish_attempts).toBeGreaterThan(1);
    } finally {
      warn.mockRestore();
      await relay.onModuleDestroy();
      await proxy.stop();
    }
    await drainSink();
  });

  it('a row added in a transaction is published once it commits (no notification, no poll)', async () => {
    const dataSource = dataSources[0];
    const outbox = newOutbox();
    // Polls every 10 minutes: within this test only the wake after commit can start a claim.
    const relay = await newRelay(outbox, 600_000);
    relay.onApplicationBootstrap();
    try {
      await waitFor(() => relay.isIdle(), { what: 'the relay idle' });
      const [id] = await dataSource.transaction((manager) => outbox.add(manager, [thing({ own: 'transaction' })]));
      await waitFor(async () => (await dataSource.query(`SELECT published_at FROM outbox WHERE id = $1`, [id]))[0].published_at !== null, {
        what: 'the row published',
      });
    } finally {
      await relay.onModuleDestroy();
    }
    expect(await drainSink()).toContainEqual({ id: expect.any(String), payload: { own: 'transaction' } });
  });

  it("a row added in the caller's own statement is written with it and published at once (no notification, no poll)", async () => {
    const dataSource = dataSources[0];
    const outbox = newOutbox();
    const relay = await newRelay(outbox, 600_000);
    relay.onApplicationBootstrap();
    try {
      await waitFor(() => relay.isIdle(), { what: 'the relay idle' });
      const write = (name: string) =>
        outbox.addInStatement<{ name: string }>({
          name: 'outbox-test-one-statement',
          text: (insertOutboxRow) =>
            `WITH thing AS (SELECT $1::text AS name WHERE $1 <> 'nothing'), queued AS (${insertOutboxRow('thing')}) SELECT name FROM thing`,
          values: [name],
          event: thing({ own: name }),
        });
      const written = await write('statement');
      // No row in the statement's source: no outbox row either.
      const skipped = await write('nothing');
      expect(written.rows).toEqual([{ name: 'statement' }]);
      expect(skipped.rows).toEqual([]);
      await waitFor(async () => (await dataSource.query(`SELECT published_at FROM outbox WHERE id = $1`, [written.messageId]))[0].published_at !== null, {
        what: 'the row published',
      });
      expect(await dataSource.query(`SELECT id FROM outbox WHERE id = $1`, [skipped.messageId])).toEqual([]);
    } finally {
      await relay.onModuleDestroy();
    }
    expect(await drainSink()).toContainEqual({ id: expect.any(String), payload: { own: 'statement' } });
  });

  it("addWith writes the caller's change and one outbox row per row it returns in one statement of the transaction, published once it commits", async () => {
    const dataSource = dataSources[0];
    const outbox = newOutbox();
    await dataSource.query(`CREATE TABLE IF NOT EXISTS outbox_test_things (name text PRIMARY KEY)`);
    await drainSink();
    const relay = await newRelay(outbox, 600_000);
    relay.onApplicationBootstrap();
    const change = (name: string) => ({
      statement: `INSERT INTO outbox_test_things (name) VALUES ($1) ON CONFLICT DO NOTHING RETURNING name`,
      values: [name],
      event: thing({ own: name }),
    });
    try {
      await waitFor(() => relay.isIdle(), { what: 'the relay idle' });
      const written = await dataSource.transaction((manager) => outbox.addWith<{ name: string }>(manager, change('with')));
      // The change returned no row (the name is taken): no outbox row either.
      const skipped = await dataSource.transaction((manager) => outbox.addWith(manager, change('with')));
      const rolledBack = await dataSource
        .transaction(async (manager) => {
          await outbox.addWith(manager, change('rolled back'));
          throw new Error('rolled back on purpose');
        })
        .catch((err: Error) => err.message);
      expect(written.rows).toEqual([{ name: 'with' }]);
      expect(skipped.rows).toEqual([]);
      expect(rolledBack).toBe('rolled back on purpose');
      await waitFor(async () => (await dataSource.query(`SELECT published_at FROM outbox WHERE id = $1`, [written.messageId]))[0].published_at !== null, {
        what: 'the row published',
      });
      expect(await dataSource.query(`SELECT id FROM outbox WHERE id = $1`, [skipped.messageId])).toEqual([]);
      expect(await dataSource.query(`SELECT name FROM outbox_test_things ORDER BY name`)).toEqual([{ name: 'with' }]);
      await expect(outbox.addWith(dataSource.manager, change('alone'))).rejects.toThrow(/inside the transaction/);
    } finally {
      await relay.onModuleDestroy();
      await dataSource.query(`DROP TABLE outbox_test_things`);
    }
    expect(await drainSink()).toEqual([{ id: expect.any(String), payload: { own: 'with' } }]);
  });

  it('retention deletes published outbox rows and inbox rows older than their windows, in batches; newer and unpublished rows stay', async () => {
    const dataSource = dataSources[0];
    await dataSource.query(`DELETE FROM outbox`);
    await dataSource.query(`DELETE FROM inbox`);
    const old = PURGE_BATCH_SIZE * 2 + 10; // more than one batch of each
    // Published 49 hours ago (past a 48-hour window), published 47 hours ago, and never published though 1,000 hours old.
    await dataSource.query(
      `INSERT INTO outbox (id, exchange, routing_key, payload, created_at, published_at)
       SELECT gen_random_uuid(), 'relay.events', 'aged', jsonb_build_object('age', age), now() - make_interval(hours => created), published
       FROM (SELECT 'old-published' AS age, 49 AS created, now() - interval '49 hours' AS published FROM generate_series(1, $1)
             UNION ALL SELECT 'recent-published', 47, now() - interval '47 hours'
             UNION ALL SELECT 'old-unpublished', 1000, NULL) AS rows`,
      [old],
    );
    // Processed 25 hours ago (past a 24-hour window) and 23 hours ago.
    await dataSource.query(
      `INSERT INTO inbox (consumer, message_id, processed_at)
       SELECT 'aged', 'old-' || n, now() - interval '25 hours' FROM generate_series(1, $1) AS n
       UNION ALL SELECT 'aged', 'recent', now() - interval '23 hours'`,
      [old],
    );

    const purged = await newOutbox({ outboxRetentionHours: 48, inboxRetentionHours: 24 }).purge();

    expect(purged).toEqual({ outbox: old, inbox: old });
    const outboxLeft: { age: string }[] = await dataSource.query(`SELECT payload->>'age' AS age FROM outbox ORDER BY 1`);
    expect(outboxLeft.map((row) => row.age)).toEqual(['old-unpublished', 'recent-published']);
    const inboxLeft: { message_id: string }[] = await dataSource.query(`SELECT message_id FROM inbox`);
    expect(inboxLeft.map((row) => row.message_id)).toEqual(['recent']);
  });

  it('retention reads the rows past their windows through an index each, not the week of rows it keeps', async () => {
    const dataSource = dataSources[0];
    await dataSource.query(`DELETE FROM outbox`);
    await dataSource.query(`DELETE FROM inbox`);
    // A week of published rows and of inbox rows (as at a steady rate), ten of each past the window, and a few unpublished.
    await dataSource.query(
      `INSERT INTO outbox (id, exchange, routing_key, payload, created_at, published_at)
       SELECT gen_random_uuid(), 'relay.events', 'kept', '{}'::jsonb, at, at FROM (SELECT now() - n * interval '30 seconds' AS at FROM generate_series(1, 20000) AS n) AS kept
       UNION ALL SELECT gen_random_uuid(), 'relay.events', 'aged', '{}', now() - interval '9 days', now() - interval '9 days' FROM generate_series(1, 10)
       UNION ALL SELECT gen_random_uuid(), 'relay.events', 'waiting', '{}', now() - interval '9 days', NULL FROM generate_series(1, 5)`,
    );
    await dataSource.query(
      `INSERT INTO inbox (consumer, message_id, processed_at)
       SELECT 'kept', 'kept-' || n, now() - n * interval '30 seconds' FROM generate_series(1, 20000) AS n
       UNION ALL SELECT 'aged', 'aged-' || n, now() - interval '9 days' FROM generate_series(1, 10) AS n`,
    );
    await dataSource.query(`ANALYZE outbox, inbox`);
    // The statements OutboxService.purge sends, with a week's window.
    const plan = async (sql: string) =>
      ((await dataSource.query(`EXPLAIN ${sql}`, [168, PURGE_BATCH_SIZE])) as { 'QUERY PLAN': string }[]).map((row) => row['QUERY PLAN']).join('\n');
    const outboxPlan = await plan(RETENTION_STATEMENTS.outbox);
    const inboxPlan = await plan(RETENTION_STATEMENTS.inbox);
    expect(outboxPlan).toMatch(/Index (Only )?Scan using outbox_published_idx/);
    expect(outboxPlan).not.toMatch(/Seq Scan on outbox/);
    expect(inboxPlan).toMatch(/Index (Only )?Scan using inbox_processed_idx/);
    expect(inboxPlan).not.toMatch(/Seq Scan on inbox/);

    expect(await newOutbox().purge()).toEqual({ outbox: 10, inbox: 10 });
    const left: { routing_key: string; count: number }[] = await dataSource.query(
      `SELECT routing_key, count(*)::int AS count FROM outbox GROUP BY routing_key ORDER BY routing_key`,
    );
    expect(left).toEqual([
      { routing_key: 'kept', count: 20000 },
      { routing_key: 'waiting', count: 5 },
    ]);
    expect(await dataSource.query(`SELECT count(*)::int AS count FROM inbox WHERE consumer = 'aged'`)).toEqual([{ count: 0 }]);
  });

  it('release takes back claims of its own transaction: the commit keeps the other claims, the released messages are fresh again', async () => {
    const dataSource = dataSources[0];
    const inbox = new InboxService();
    const message = (messageId: string) => ({ messageId });
    const kept = await dataSource.transaction(async (manager) => {
      const claimed = await inbox.claimMany(manager, 'release-consumer', [message('r-1'), message('r-2'), message('r-3')]);
      await inbox.release(manager, 'release-consumer', ['r-2']);
      return claimed;
    });
    expect(kept.map((m) => m.messageId)).toEqual(['r-1', 'r-2', 'r-3']);
    const again = await dataSource.transaction((manager) =>
      inbox.claimMany(manager, 'release-consumer', [message('r-1'), message('r-2'), message('r-3'), message('r-4')]),
    );
    expect(again.map((m) => m.messageId)).toEqual(['r-2', 'r-4']);
    await expect(inbox.release(dataSource.manager, 'release-consumer', ['r-1'])).rejects.toThrow(/inside the transaction/);
  });

  it("claimWith claims a message in the statement of a read: the read's rows as they are, the claim made whether the read found any", async () => {
    const dataSource = dataSources[0];
    const inbox = new InboxService();
    // A read of `$2` rows, each numbered, with its own parameters before the claim's.
    const read = (rows: number) => ({ statement: `SELECT n, $1::text AS label FROM generate_series(1, $2::int) AS n ORDER BY n`, values: ['row', rows] });
    const claim = (messageId: string, rows: number) =>
      dataSource.transaction((manager) => inbox.claimWith<{ n: number; label: string }>(manager, 'with-consumer', messageId, read(rows)));
    expect(await claim('w-1', 2)).toEqual({
      fresh: true,
      rows: [
        { n: 1, label: 'row' },
        { n: 2, label: 'row' },
      ],
    });
    expect(await claim('w-1', 2)).toEqual({
      fresh: false,
      rows: [
        { n: 1, label: 'row' },
        { n: 2, label: 'row' },
      ],
    });
    expect(await claim('w-2', 0)).toEqual({ fresh: true, rows: [] });
    expect(await claim('w-2', 0)).toEqual({ fresh: false, rows: [] });
    expect(await dataSource.query(`SELECT message_id FROM inbox WHERE consumer = 'with-consumer' ORDER BY message_id`)).toEqual([
      { message_id: 'w-1' },
      { message_id: 'w-2' },
    ]);
    await expect(inbox.claimWith(dataSource.manager, 'with-consumer', 'w-3', read(1))).rejects.toThrow(/inside the transaction/);
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
