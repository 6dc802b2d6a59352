#!/usr/bin/env node
/**
 * Probes the service users of infra/rabbitmq/definitions.json on a running broker: each must be
 * able to do its job (declare its own queues and exchanges, publish its events, forward to retry
 * and dead-letter exchanges, consume its queue) and must be refused the rest, the other service's
 * queues included. Exits 1 on a surprise.
 *
 *   docker compose -f docker-compose.yml -f docker-compose.e2e.yml up -d rabbitmq
 *   pnpm build && node infra/rabbitmq/check-permissions.mjs [amqp://127.0.0.1:15673]
 *
 * Run it against an empty broker too (queues deleted): creating a queue with a dead-letter
 * exchange needs more rights (read on the queue, write on its dead-letter exchange) than
 * re-declaring one that exists.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const amqp = require('amqplib');
const { topologyFor, replayExchangeOf, EXCHANGES, QUEUES } = require('../../libs/contracts/dist');
const { declareTopology, deadLetterQueueName } = require('../../libs/messaging/dist');

const broker = new URL(process.argv[2] ?? process.env.RABBITMQ_PROBE_URL ?? 'amqp://127.0.0.1:15673');
const services = [
  {
    user: 'order-service',
    password: process.env.ORDER_SERVICE_RABBITMQ_PASSWORD || 'order-service-dev-password',
    other: 'inventory-service',
    ownExchange: EXCHANGES.orders,
    ownQueue: QUEUES.ordersStockResults,
    otherExchange: EXCHANGES.inventory,
    otherQueue: QUEUES.inventoryOrderPlaced,
  },
  {
    user: 'inventory-service',
    password: process.env.INVENTORY_SERVICE_RABBITMQ_PASSWORD || 'inventory-service-dev-password',
    other: 'order-service',
    ownExchange: EXCHANGES.inventory,
    ownQueue: QUEUES.inventoryOrderPlaced,
    otherExchange: EXCHANGES.orders,
    otherQueue: QUEUES.ordersStockResults,
  },
  {
    user: 'payment-service',
    password: process.env.PAYMENT_SERVICE_RABBITMQ_PASSWORD || 'payment-service-dev-password',
    other: 'order-service',
    ownExchange: EXCHANGES.payments,
    ownQueue: QUEUES.paymentsOrderPayments,
    otherExchange: EXCHANGES.orders,
    otherQueue: QUEUES.ordersPaymentResults,
  },
];

const publish = (exchange, routingKey) => (channel) =>
  new Promise((resolve, reject) =>
    channel.publish(exchange, routingKey, Buffer.from('{}'), { messageId: 'permission-probe', persistent: true }, (err) => (err ? reject(err) : resolve())),
  );
const consume = (queue) => async (channel) => {
  const { consumerTag } = await channel.consume(queue, () => undefined);
  await channel.cancel(consumerTag);
};

/** Runs `action` on a fresh channel (a refusal closes the channel) and says whether the broker allowed it. */
async function allowed(connection, action) {
  const channel = await connection.createConfirmChannel();
  channel.on('error', () => undefined);
  try {
    await action(channel);
    return true;
  } catch {
    return false;
  } finally {
    await channel.close().catch(() => undefined);
  }
}

let surprises = 0;
for (const service of services) {
  const url = new URL(broker);
  url.username = service.user;
  url.password = service.password;
  url.pathname = '/shop';
  const connection = await amqp.connect(url.toString());
  connection.on('error', () => undefined);
  // Routing keys that match no binding: nothing reaches a consumer.
  const checks = [
    ['declare its part of the topology', true, (ch) => declareTopology(ch, topologyFor(service.user))],
    ["declare the other's queues", false, (ch) => declareTopology(ch, topologyFor(service.other))],
    [`publish to ${service.ownExchange}`, true, publish(service.ownExchange, 'permission.probe')],
    [`publish to ${EXCHANGES.retry}`, true, publish(EXCHANGES.retry, 'permission.probe')],
    [`publish to ${EXCHANGES.deadLetter}`, true, publish(EXCHANGES.deadLetter, 'permission.probe')],
    [`consume ${service.ownQueue}`, true, consume(service.ownQueue)],
    [`publish to ${service.otherExchange}`, false, publish(service.otherExchange, 'permission.probe')],
    [`consume ${deadLetterQueueName(service.otherQueue)}`, false, consume(deadLetterQueueName(service.otherQueue))],
    [`consume ${deadLetterQueueName(service.ownQueue)} (it keeps its dead letters in its database)`, true, consume(deadLetterQueueName(service.ownQueue))],
    [`publish to ${replayExchangeOf(service.user)} (its operators' replays)`, true, publish(replayExchangeOf(service.user), 'permission.probe')],
    [`publish to ${replayExchangeOf(service.other)} (another service's queues)`, false, publish(replayExchangeOf(service.other), 'permission.probe')],
    ['declare a queue outside the topology', false, (ch) => ch.assertQueue('permission-probe')],
    ['declare an exchange outside the topology', false, (ch) => ch.assertExchange('permission-probe', 'topic')],
    [`consume ${service.otherQueue}`, false, consume(service.otherQueue)],
  ];
  console.log(service.user);
  for (const [what, expected, action] of checks) {
    const result = await allowed(connection, action);
    const ok = result === expected;
    if (!ok) surprises += 1;
    const label = result ? 'allowed' : 'refused';
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}: ${label}`);
  }
  await connection.close();
}
if (surprises) {
  console.error(`${surprises} permission(s) not as expected`);
  process.exit(1);
}
