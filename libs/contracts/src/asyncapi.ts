import { z } from 'zod';
import { CONSUMERS, isRouted, ROUTES, type QueueName, type Route, type RoutingKey } from './routes';
import { TOPOLOGY } from './topology';

/**
 * What libs/messaging puts on the wire besides the route table: the header names it sets, how it names
 * and declares the retry and dead-letter queues. Passed in (contracts import nothing but zod), so the
 * document says what the code does: `asyncApiDocument(MESSAGING_CONVENTIONS)` from @shop/messaging.
 */
export interface MessagingConventions {
  headers: Record<
    | 'correlationId'
    | 'traceparent'
    | 'sentAt'
    | 'attempt'
    | 'transientFailures'
    | 'lastError'
    | 'firstFailedAt'
    | 'replayOf'
    | 'replayCount'
    | 'replayedBy'
    | 'deadLetterReason'
    | 'deadLetteredFrom'
    | 'errorClass'
    | 'deadLetteredAt',
    string
  >;
  retryQueueName(queue: string, delayMs: number): string;
  deadLetterQueueName(queue: string): string;
  mainQueueArguments(queue: string, deadLetterExchange: string): Record<string, unknown>;
  retryQueueArguments(queue: string, delayMs: number): Record<string, unknown>;
  deadLetterQueueArguments(): Record<string, unknown>;
}

/** The virtual host compose and Kubernetes give the shop (a test run gets a throwaway one). */
export const SHOP_VHOST = 'shop';

const AMQP_BINDING_VERSION = '0.3.0';
type JsonSchema = Record<string, unknown>;

/**
 * A payload's JSON Schema (draft-07, the dialect AsyncAPI 3 schemas extend), as a receiver reads it:
 * the input side of the zod schema, so a field with a default may be absent and no
 * `additionalProperties: false` forbids what a newer producer adds (the tolerant reader).
 */
export function payloadJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as JsonSchema;
  return jsonSchema;
}

/** `order.placed.v1`: a message of the document is a routing key at a schema version. */
export const messageIdOf = (routingKey: string, schemaVersion: number) => `${routingKey}.v${schemaVersion}`;

const routes = () => Object.entries(ROUTES as Record<RoutingKey, Route>) as [RoutingKey, Route][];
const exchangeTypeOf = (name: string) => TOPOLOGY.exchanges.find((exchange) => exchange.name === name)?.type ?? 'topic';
const ref = (...path: string[]) => ({ $ref: `#/${path.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}` });

/**
 * The events as AsyncAPI 3.0.0, derived from the route table (ROUTES, CONSUMERS, TOPOLOGY): the broker,
 * a channel per routing key (what a producer sends) and per queue (what a consumer receives), an
 * operation per producer and per consumer, every payload's JSON Schema from its zod schema with its
 * version, the headers, and in `x-` extensions what AsyncAPI's AMQP bindings cannot say (quorum
 * queues, retry queues and delays, dead-lettering). `pnpm api:docs` writes it to docs/api/asyncapi.yaml.
 */
export function asyncApiDocument(messaging: MessagingConventions) {
  const { headers } = messaging;
  const versions = routes().map(([, route]) => route.schemaVersion);

  const messages: Record<string, unknown> = {};
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};

  for (const [routingKey, route] of routes()) {
    const id = messageIdOf(routingKey, route.schemaVersion);
    messages[id] = {
      name: routingKey,
      title: `${routingKey} (version ${route.schemaVersion})`,
      summary: `Published by ${route.producer} to ${route.exchange}; received by ${route.queues.length > 0 ? route.queues.join(', ') : 'no queue yet'}.`,
      contentType: 'application/json',
      headers: ref('components', 'schemas', 'MessageHeaders'),
      payload: payloadJsonSchema(route.schema),
      correlationId: ref('components', 'correlationIds', 'correlationId'),
      bindings: { amqp: { messageType: routingKey, bindingVersion: AMQP_BINDING_VERSION } },
      'x-schema-version': route.schemaVersion,
      'x-amqp-properties': amqpPropertiesSchema(routingKey),
    };
    channels[routingKey] = {
      address: routingKey,
      title: `${routingKey} on ${route.exchange}`,
      description: `Routing key \`${routingKey}\` on the ${exchangeTypeOf(route.exchange)} exchange \`${route.exchange}\`, published by ${route.producer}.`,
      messages: { [id]: ref('components', 'messages', id) },
      bindings: {
        amqp: {
          is: 'routingKey',
          exchange: { name: route.exchange, type: exchangeTypeOf(route.exchange), durable: true, autoDelete: false, vhost: SHOP_VHOST },
          bindingVersion: AMQP_BINDING_VERSION,
        },
      },
      'x-receiving-queues': [...route.queues],
    };
    operations[`${route.producer}.publishes.${routingKey}`] = {
      action: 'send',
      channel: ref('channels', routingKey),
      title: `${route.producer} publishes ${routingKey}`,
      summary: 'From its transactional outbox, persistent, with publisher confirms; the outbox row id is the message id.',
      tags: [{ name: route.producer }],
      messages: [ref('channels', routingKey, 'messages', id)],
      bindings: {
        amqp: {
          deliveryMode: 2,
          // An event some queue receives must be routed (a publish nothing routes keeps its outbox row).
          mandatory: isRouted(routingKey),
          timestamp: true,
          bindingVersion: AMQP_BINDING_VERSION,
        },
      },
      'x-service': route.producer,
    };
  }

  for (const queue of TOPOLOGY.queues) {
    const name = queue.name as QueueName;
    const consumer = CONSUMERS[name];
    const received = queue.bindings.map((binding) => {
      const route: Route = ROUTES[binding.routingKey as RoutingKey];
      return { ...binding, id: messageIdOf(binding.routingKey, route.schemaVersion), reader: route.readers?.[name] };
    });
    channels[name] = {
      address: name,
      title: `queue ${name}`,
      description:
        `The durable quorum queue ${consumer} consumes (its instances compete). A handler error sends the message to a retry ` +
        `queue, back after its delay; after ${queue.maxAttempts} deliveries, or at once when it fails schema validation, it is ` +
        `dead-lettered to \`${messaging.deadLetterQueueName(name)}\`.`,
      messages: Object.fromEntries(received.map((message) => [message.id, ref('components', 'messages', message.id)])),
      bindings: {
        amqp: {
          is: 'queue',
          queue: { name, durable: true, exclusive: false, autoDelete: false, vhost: SHOP_VHOST },
          bindingVersion: AMQP_BINDING_VERSION,
        },
      },
      'x-consumer': consumer,
      'x-bindings': queue.bindings.map(({ exchange, routingKey }) => ({ exchange, routingKey })),
      'x-queue-arguments': messaging.mainQueueArguments(name, TOPOLOGY.deadLetterExchange),
      'x-retry': {
        exchange: TOPOLOGY.retryExchange,
        queues: queue.retryDelaysMs.map((delayMs) => ({
          name: messaging.retryQueueName(name, delayMs),
          delayMs,
          arguments: messaging.retryQueueArguments(name, delayMs),
        })),
      },
      'x-dead-letter': {
        exchange: TOPOLOGY.deadLetterExchange,
        queue: messaging.deadLetterQueueName(name),
        afterAttempts: queue.maxAttempts,
        schemaInvalid: 'dead-lettered at once',
        arguments: messaging.deadLetterQueueArguments(),
        headers: [headers.deadLetterReason, headers.deadLetteredFrom, headers.errorClass, headers.deadLetteredAt, headers.firstFailedAt],
      },
      ...(queue.replayExchange && { 'x-replay-exchange': queue.replayExchange }),
    };
    const readers = received.filter((message) => message.reader);
    operations[`${consumer}.consumes.${name}`] = {
      action: 'receive',
      channel: ref('channels', name),
      title: `${consumer} consumes ${name}`,
      summary: 'Manual ack after the handler committed (inbox and effects in one transaction); duplicates are dropped by message id.',
      tags: [{ name: consumer }],
      messages: received.map((message) => ref('channels', name, 'messages', message.id)),
      bindings: { amqp: { ack: true, bindingVersion: AMQP_BINDING_VERSION } },
      'x-service': consumer,
      // A reader that names fewer fields than the payload (tolerant reader): what this consumer validates.
      ...(readers.length > 0 && {
        'x-reader-schemas': Object.fromEntries(readers.map((message) => [message.id, payloadJsonSchema(message.reader!)])),
      }),
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Decoupled ordering: events',
      // The event API's version follows its messages' highest schema version.
      version: `${Math.max(...versions)}.0.0`,
      description: documentDescription(messaging),
      tags: [...new Set(routes().flatMap(([, route]) => [route.producer, ...route.queues.map((queue) => CONSUMERS[queue])]))].map((name) => ({ name })),
    },
    defaultContentType: 'application/json',
    servers: {
      broker: {
        host: '{node}:5672',
        pathname: `/${SHOP_VHOST}`,
        protocol: 'amqp',
        protocolVersion: '0.9.1',
        title: 'RabbitMQ cluster',
        description:
          'A three-node RabbitMQ cluster (one node in the plain compose project). Each service lists every node in ' +
          '`RABBITMQ_URL` and connects to one; quorum queues keep a confirmed message on a majority of nodes.',
        variables: { node: { default: 'rabbitmq', description: 'Any node of the cluster (the compose service or Kubernetes service name).' } },
        security: [ref('components', 'securitySchemes', 'serviceUser')],
      },
    },
    channels,
    operations,
    components: {
      messages,
      schemas: { MessageHeaders: headersSchema(messaging) },
      correlationIds: {
        correlationId: {
          description: 'The correlation id of the request that produced the event, carried by every event that follows from it.',
          location: `$message.header#/${headers.correlationId}`,
        },
      },
      securitySchemes: {
        serviceUser: {
          type: 'userPassword',
          description: 'One broker user per service: it writes only to its own exchanges and reads only its own queues.',
        },
      },
    },
  };
}

/** AMQP properties (not headers) every message carries, as JSON Schema. */
function amqpPropertiesSchema(routingKey: string): JsonSchema {
  return {
    type: 'object',
    properties: {
      messageId: { type: 'string', minLength: 1, description: 'The outbox row id: stable across retries and replays, so receivers drop duplicates by it.' },
      type: { type: 'string', const: routingKey, description: 'The message type: its routing key.' },
      timestamp: { type: 'integer', description: 'When the event was stored (seconds since the epoch).' },
      contentType: { type: 'string', const: 'application/json' },
      deliveryMode: { type: 'integer', const: 2, description: 'Persistent.' },
      correlationId: { type: 'string', description: `Also in the \`x-correlation-id\` header.` },
    },
    required: ['messageId', 'type', 'timestamp', 'contentType'],
  };
}

function headersSchema({ headers }: MessagingConventions): JsonSchema {
  return {
    type: 'object',
    properties: {
      [headers.correlationId]: { type: 'string', description: 'Correlation id of the request that produced the event.' },
      [headers.traceparent]: {
        type: 'string',
        pattern: '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
        description: 'W3C trace context of the operation that produced the event: its consumer continues the trace.',
      },
      [headers.sentAt]: { type: 'integer', description: 'When the publisher handed the message to the broker (ms since the epoch).' },
      [headers.attempt]: { type: 'integer', minimum: 1, description: 'On a retried copy: deliveries so far, the first one included.' },
      [headers.transientFailures]: { type: 'integer', minimum: 0, description: 'On a retried copy: failures that were not the message’s fault.' },
      [headers.lastError]: { type: 'string', description: 'On a retried copy: why its last delivery failed.' },
      [headers.firstFailedAt]: { type: 'string', format: 'date-time', description: 'On a retried copy: when it first failed.' },
      [headers.replayOf]: { type: 'string', description: 'On an operator’s replay: the dead letter it replays.' },
      [headers.replayCount]: { type: 'integer', minimum: 1, description: 'On an operator’s replay: replays so far.' },
      [headers.replayedBy]: { type: 'string', description: 'On an operator’s replay: who asked for it.' },
    },
    required: [headers.sentAt],
  };
}

function documentDescription({ headers }: MessagingConventions): string {
  return [
    'What the shop’s services tell each other over RabbitMQ, generated from the route table in libs/contracts ' +
      '(`pnpm api:docs`). Every event is published to its producer’s topic exchange under its routing key, ' +
      'from a transactional outbox, and each receiving service reads its own durable quorum queue bound to that key.',
    '',
    '**Tolerant reader.** Receivers ignore fields they do not know, so a producer may add fields without a new ' +
      'version. Every change is backward compatible (a field added) or a new schema version (a field removed, renamed ' +
      'or given another meaning), published next to the old one until every consumer reads it. Each payload names ' +
      'its `schemaVersion`.',
    '',
    '**Delivery.** At least once: receivers drop duplicates by the AMQP `messageId` (the outbox row id) and ack only ' +
      'after their transaction committed. A handler error goes to a delayed retry queue (`x-retry` on each queue ' +
      'channel); after the attempts in `x-dead-letter` (or at once, for a message that fails its schema) the message ' +
      'is dead-lettered to `<queue>.dlq`, kept by its service for an operator to replay, edit or discard.',
    '',
    `**Properties and headers.** AMQP properties \`messageId\`, \`type\` (the routing key), \`timestamp\`, ` +
      `\`contentType\` (application/json), \`correlationId\`, persistent delivery; headers \`${headers.correlationId}\`, ` +
      `\`${headers.traceparent}\` (W3C trace context) and \`${headers.sentAt}\`.`,
  ].join('\n');
}
