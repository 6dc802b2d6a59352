/**
 * createServiceApp consumes the queues the route table gives a service, and refuses to start when an
 * event routed to one of them has no handler: such a message would otherwise be dead-lettered at once.
 * No broker is needed: the check runs before consuming (the broker address here is unreachable).
 */
import { Controller, Module, type DynamicModule } from '@nestjs/common';
import { QUEUES, ROUTING_KEYS, topologyFor, type RoutingKey } from '@shop/contracts';
import { BatchEventPattern, MessagingModule } from '@shop/messaging';
import { loggingModule } from '@shop/platform';
import { createServiceApp, queuesOf } from '../src/service-app';

/** notification-service's handlers, every event of its two queues but those in `missing`. */
function notificationModule(missing: RoutingKey[]): DynamicModule {
  const handled = [
    ROUTING_KEYS.orderPlaced,
    ROUTING_KEYS.orderConfirmed,
    ROUTING_KEYS.orderRejected,
    ROUTING_KEYS.orderCancelled,
    ROUTING_KEYS.signInRequested,
  ].filter((key) => !missing.includes(key));

  @Controller()
  class Emails {
    // Never called: no broker is reached.
    @BatchEventPattern(handled)
    send(): void {}
  }

  @Module({})
  class NotificationTestModule {}
  return {
    module: NotificationTestModule,
    imports: [
      loggingModule('silent', 'notification-service'),
      MessagingModule.forRoot({
        urls: ['amqp://guest:guest@127.0.0.1:1'],
        connectionName: 'service-app-test',
        topology: topologyFor('notification-service'),
        reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
      }),
    ],
    controllers: [Emails],
  };
}

describe('createServiceApp', () => {
  it('gives each service the queues whose consumer it is in the route table', () => {
    expect(queuesOf('inventory-service')).toEqual([QUEUES.inventoryOrderPlaced, QUEUES.inventoryOrderReleases]);
    expect(queuesOf('notification-service')).toEqual([QUEUES.notificationsOrderEvents, QUEUES.notificationsSignInLinks]);
  });

  it('starts when every event routed to its queues has a handler', async () => {
    const app = await createServiceApp(notificationModule([]), 'notification-service');
    await app.close();
  });

  it('refuses to start when an event routed to one of its queues has no handler, naming the routing key and the queue', async () => {
    await expect(createServiceApp(notificationModule([ROUTING_KEYS.orderCancelled]), 'notification-service')).rejects.toThrow(
      'no @BatchEventPattern handler in this app for routing key "order.cancelled" of queue "notifications.order-events"',
    );
  });

  it('names every event without a handler', async () => {
    await expect(createServiceApp(notificationModule([ROUTING_KEYS.orderRejected, ROUTING_KEYS.signInRequested]), 'notification-service')).rejects.toThrow(
      'routing key "order.rejected" of queue "notifications.order-events"; routing key "signin.requested" of queue "notifications.sign-in-links"',
    );
  });
});
