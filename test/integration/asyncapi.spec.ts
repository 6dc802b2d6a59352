import { Parser, type AsyncAPIDocumentInterface } from '@asyncapi/parser';
import { asyncApiDocument, CONSUMERS, EXCHANGES, messageIdOf, ROUTES, TOPOLOGY, type QueueName, type Route } from '@shop/contracts';
import { deadLetterQueueName, HEADERS, MESSAGING_CONVENTIONS, retryQueueName } from '@shop/messaging';
import { MessageContract } from '@shop/testing';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** Spectral's severities: 0 is an error. */
const ERROR = 0;
const routes = Object.entries(ROUTES as Record<string, Route>);

describe('the AsyncAPI document (docs/api/asyncapi.yaml), generated from the route table', () => {
  const document = asyncApiDocument(MESSAGING_CONVENTIONS);
  let parsed: AsyncAPIDocumentInterface;

  beforeAll(async () => {
    const { document: model, diagnostics } = await new Parser().parse(JSON.stringify(document));
    expect(
      diagnostics.filter((diagnostic) => diagnostic.severity === ERROR).map((diagnostic) => `${diagnostic.path.join('/')}: ${diagnostic.message}`),
    ).toEqual([]);
    parsed = model!;
  });

  it('is AsyncAPI 3.0.0 that @asyncapi/parser reads with no error (and a broken one with errors)', async () => {
    expect(parsed.version()).toBe('3.0.0');
    const broken = structuredClone(document) as unknown as { operations: Record<string, { action?: string }> };
    delete Object.values(broken.operations)[0].action;
    const { diagnostics } = await new Parser().parse(JSON.stringify(broken));
    expect(diagnostics.filter((diagnostic) => diagnostic.severity === ERROR).length).toBeGreaterThan(0);
  });

  it.each(routes)('%s: a channel on its exchange, sent by its producer, with its payload schema at its version', (routingKey, route) => {
    const channel = parsed.channels().get(routingKey)!;
    expect(channel.address()).toBe(routingKey);
    expect(channel.bindings().get('amqp')?.value()).toMatchObject({ is: 'routingKey', exchange: { name: route.exchange, type: 'topic', durable: true } });

    const id = messageIdOf(routingKey, route.schemaVersion);
    const message = channel.messages().get(id)!;
    expect(message.name()).toBe(routingKey);
    expect(message.extensions().get('x-schema-version')?.value()).toBe(route.schemaVersion);
    // The payload is zod's own JSON Schema of the route's schema (what a receiver accepts), not a copy.
    const { $schema: _dialect, ...expected } = z.toJSONSchema(route.schema, { target: 'draft-7', io: 'input' });
    expect(document.components.messages[id]).toMatchObject({ payload: expected });
    expect(message.payload()?.json()).toMatchObject({ properties: { schemaVersion: { const: route.schemaVersion } } });

    const senders = channel.operations().filterBySend();
    expect(senders.map((operation) => operation.extensions().get('x-service')?.value())).toEqual([route.producer]);
    expect(
      senders[0]
        .messages()
        .all()
        .map((sent) => sent.name()),
    ).toEqual([routingKey]);
  });

  it.each(routes.flatMap(([routingKey, route]) => route.queues.map((queue) => [routingKey, queue] as const)))(
    '%s reaches %s: a queue channel its consumer receives from',
    (routingKey, queue) => {
      const channel = parsed.channels().get(queue)!;
      expect(channel.bindings().get('amqp')?.value()).toMatchObject({ is: 'queue', queue: { name: queue, durable: true } });
      expect(channel.extensions().get('x-bindings')?.value()).toContainEqual({ exchange: ROUTES[routingKey as keyof typeof ROUTES].exchange, routingKey });
      const [receiver, ...others] = channel.operations().filterByReceive();
      expect(others).toEqual([]);
      expect(receiver.extensions().get('x-service')?.value()).toBe(CONSUMERS[queue as QueueName]);
      expect(
        receiver
          .messages()
          .all()
          .map((message) => message.name()),
      ).toContain(routingKey);
    },
  );

  it.each(TOPOLOGY.queues.map((queue) => [queue.name, queue] as const))(
    '%s: quorum, its retry queues and delays, dead-lettered after its attempts',
    (name, queue) => {
      const extension = (key: string) => parsed.channels().get(name)!.extensions().get(key)?.value();
      expect(extension('x-queue-arguments')).toMatchObject({ 'x-queue-type': 'quorum', 'x-dead-letter-exchange': EXCHANGES.deadLetter });
      expect(extension('x-retry')).toMatchObject({
        exchange: EXCHANGES.retry,
        queues: queue.retryDelaysMs.map((delayMs) => ({ name: retryQueueName(name, delayMs), delayMs, arguments: { 'x-message-ttl': delayMs } })),
      });
      expect(extension('x-dead-letter')).toMatchObject({ exchange: EXCHANGES.deadLetter, queue: deadLetterQueueName(name), afterAttempts: queue.maxAttempts });
    },
  );

  it('names the headers libs/messaging sets, the correlation id among them, and the tolerant-reader rule', () => {
    const headers = document.components.schemas.MessageHeaders as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(headers.properties)).toEqual(expect.arrayContaining([HEADERS.correlationId, HEADERS.traceparent, HEADERS.sentAt]));
    expect(headers.required).toEqual([HEADERS.sentAt]);
    expect(document.components.correlationIds.correlationId.location).toBe(`$message.header#/${HEADERS.correlationId}`);
    expect(parsed.info().description()).toMatch(/Receivers ignore fields they do not know/);
    expect(parsed.info().description()).toMatch(/backward compatible .* or a new schema version/);
  });

  describe('MessageContract (the validator the integration and e2e suites run on what they see on the broker)', () => {
    const contract = new MessageContract(document);
    const stockReserved = { schemaVersion: 1, orderId: randomUUID(), lines: [{ sku: 'MUG-001', quantity: 2 }], reservedAt: new Date().toISOString() };
    const published = (payload: unknown, type = 'stock.reserved') => ({
      fields: { exchange: EXCHANGES.inventory, routingKey: type },
      properties: {
        messageId: randomUUID(),
        type,
        timestamp: Math.floor(Date.now() / 1000),
        contentType: 'application/json',
        deliveryMode: 2,
        headers: { [HEADERS.sentAt]: Date.now(), [HEADERS.traceparent]: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` },
      },
      content: Buffer.from(JSON.stringify(payload)),
    });

    it('binds a tap to every exchange events are published to', () => {
      expect(contract.exchanges.sort()).toEqual([EXCHANGES.inventory, EXCHANGES.orders, EXCHANGES.payments].sort());
    });

    it('accepts a message as the publisher sends it, with a field it does not know (tolerant reader)', () => {
      expect(contract.check(published(stockReserved))).toEqual([]);
      expect(contract.check(published({ ...stockReserved, warehouse: 'north' }))).toEqual([]);
    });

    it('names what is wrong: a missing field, a wrong type, an unknown version or type, a header or property out of shape', () => {
      const { reservedAt: _omitted, ...withoutTime } = stockReserved;
      expect(contract.check(published(withoutTime))).toEqual([expect.stringMatching(/^payload must have required property 'reservedAt'/)]);
      expect(contract.check(published({ ...stockReserved, lines: [{ sku: 'MUG-001', quantity: '2' }] }))).toEqual(['payload/lines/0/quantity must be integer']);
      expect(contract.check(published({ ...stockReserved, schemaVersion: 2 }))).toEqual(['no message "stock.reserved" at schema version 2 in the document']);
      expect(contract.check(published(stockReserved, 'stock.misplaced'))).toEqual(['no message "stock.misplaced" at schema version 1 in the document']);
      const noSentAt = published(stockReserved);
      noSentAt.properties.headers = { [HEADERS.traceparent]: 'not-a-trace' } as never;
      expect(contract.check(noSentAt)).toEqual([
        expect.stringMatching(/^headers must have required property 'x-sent-at'/),
        expect.stringMatching(/^headers\/traceparent must match pattern/),
      ]);
      const wrongType = published(stockReserved);
      wrongType.properties.contentType = 'text/plain';
      expect(contract.check(wrongType)).toEqual(['properties/contentType must be equal to constant']);
    });
  });
});
