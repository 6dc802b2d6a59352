import type { Channel } from 'amqplib';
import { HEADERS } from './headers';

/** An exchange to declare: durable, of this type. */
export interface ExchangeSpec {
  name: string;
  type: 'topic' | 'direct';
}

/** A consumer's queue: its bindings, and its own retry and dead-letter path. */
export interface QueueSpec {
  /** Its dead-letter queue is `<name>.dlq`. */
  name: string;
  bindings: { exchange: string; routingKey: string }[];
  /** One TTL queue per delay; a failed message waits in the next one, then returns. */
  retryDelaysMs: number[];
  /** Deliveries (first one included) before a failing message is dead-lettered. */
  maxAttempts: number;
  /** Direct exchange this queue is bound to by its own name: an operator's replay reaches this queue only. */
  replayExchange?: string;
}

/** Everything declareTopology declares; an application passes its own (the shop's is in its contracts). */
export interface Topology {
  exchanges: ExchangeSpec[];
  /**
   * Exchanges of other services that these queues bind to: the broker's definitions hold them, so
   * they are only checked, and declared only where missing (a broker without definitions, in
   * development), which needs the configure right a least-privilege user does not have.
   */
  externalExchanges?: ExchangeSpec[];
  /**
   * Other services' queues that receive what this service publishes: the broker's definitions hold
   * them; where one is missing (a broker without definitions) the main queue and its bindings are
   * declared, so an event published before its consumer ever ran is kept rather than unroutable.
   */
  externalQueues?: QueueSpec[];
  queues: QueueSpec[];
  /** Direct exchange that routes a failed message to the retry queue of its delay. */
  retryExchange: string;
  /** Direct exchange that routes dead letters to `<queue>.dlq`. */
  deadLetterExchange: string;
}

/** Where dead letters of a queue are kept for an operator to inspect and replay. */
export const deadLetterQueueName = (queue: string) => `${queue}.dlq`;

/** One waiting queue per retry delay, e.g. `inventory.order-placed.retry.5s`. */
export const retryQueueName = (queue: string, delayMs: number) => `${queue}.retry.${delayMs % 1000 === 0 ? `${delayMs / 1000}s` : `${delayMs}ms`}`;

/** Redeliveries the broker allows before it dead-letters a message that crashes its consumer. */
const BROKER_DELIVERY_LIMIT = 20;

// Quorum queues replicate and fsync; at-least-once dead-lettering (which needs reject-publish)
// makes the hop from a retry queue back to its main queue as safe as a publish with confirms.
const quorumArguments = (deadLetterExchange: string, deadLetterRoutingKey: string) => ({
  'x-queue-type': 'quorum',
  'x-dead-letter-exchange': deadLetterExchange,
  'x-dead-letter-routing-key': deadLetterRoutingKey,
  'x-dead-letter-strategy': 'at-least-once',
  'x-overflow': 'reject-publish',
});

/** The arguments of a consumer's main queue: quorum, dead-lettered to `<name>.dlq`, a broker delivery limit for consumers that crash. */
export const mainQueueArguments = (queue: string, deadLetterExchange: string) => ({
  ...quorumArguments(deadLetterExchange, queue),
  'x-delivery-limit': BROKER_DELIVERY_LIMIT,
});

/** The arguments of a retry queue: a message waits `delayMs`, then returns to its main queue through the default exchange. */
export const retryQueueArguments = (queue: string, delayMs: number) => ({ ...quorumArguments('', queue), 'x-message-ttl': delayMs });

/** The arguments of a dead-letter queue: nobody consumes it but the service's dead-letter store. */
export const deadLetterQueueArguments = () => ({ 'x-queue-type': 'quorum' });

/** What this library puts on the wire beyond an application's routes: for a description of it (the shop's AsyncAPI document). */
export const MESSAGING_CONVENTIONS = {
  headers: HEADERS,
  retryQueueName,
  deadLetterQueueName,
  mainQueueArguments,
  retryQueueArguments,
  deadLetterQueueArguments,
};

/**
 * Declares exchanges, queues, retry and dead-letter queues, and bindings. Every declaration is
 * idempotent, so each service declares the whole topology at start: an event published before its
 * consumer ever ran is kept. Arguments are explicit, never a broker version's defaults.
 */
export async function declareTopology(channel: Channel, topology: Topology): Promise<void> {
  for (const exchange of topology.exchanges) {
    await channel.assertExchange(exchange.name, exchange.type, { durable: true });
  }
  for (const queue of topology.queues) {
    await declareQueue(channel, queue, topology.deadLetterExchange, topology.retryExchange);
    // An operator's replay reaches this queue, and only this one, by its name.
    if (queue.replayExchange) await channel.bindQueue(queue.name, queue.replayExchange, queue.name);
  }
}

/**
 * A consumer's main queue, with the arguments its consumer declares (its retry and dead-letter queues
 * are the consumer's to declare). Not its bindings: see `bindMainQueue`, asserted on every connect.
 */
export async function declareMainQueue(channel: Channel, queue: QueueSpec, deadLetterExchange: string): Promise<void> {
  await channel.assertQueue(queue.name, {
    durable: true,
    arguments: mainQueueArguments(queue.name, deadLetterExchange),
  });
}

/**
 * A main queue's bindings. Asserted on every connect, for a queue found as well as one just declared:
 * a declaration a crash stopped between the queue and its bindings is completed at the next connect.
 */
export async function bindMainQueue(channel: Channel, queue: QueueSpec): Promise<void> {
  for (const binding of queue.bindings) {
    await channel.bindQueue(queue.name, binding.exchange, binding.routingKey);
  }
}

async function declareQueue(channel: Channel, queue: QueueSpec, deadLetterExchange: string, retryExchange: string) {
  await declareMainQueue(channel, queue, deadLetterExchange);
  await bindMainQueue(channel, queue);

  const dlq = deadLetterQueueName(queue.name);
  await channel.assertQueue(dlq, { durable: true, arguments: deadLetterQueueArguments() });
  await channel.bindQueue(dlq, deadLetterExchange, queue.name);

  for (const delayMs of queue.retryDelaysMs) {
    const name = retryQueueName(queue.name, delayMs);
    // Nobody consumes a retry queue: a message waits out its TTL, then is dead-lettered back
    // to the main queue through the default exchange.
    await channel.assertQueue(name, {
      durable: true,
      arguments: retryQueueArguments(queue.name, delayMs),
    });
    await channel.bindQueue(name, retryExchange, name);
  }
}
