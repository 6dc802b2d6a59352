import { Controller, Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { ClientProxy, ClientsModule, Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';
import { lastValueFrom } from 'rxjs';
import { reserveStock } from '../../coupled/common';
import { PG_POOL, pgPoolProvider } from './db';
import { RESULTS_QUEUE, rmqClientOptions, settingFromEnv, type OrderPlaced, type StockResult } from './settings';

const ORDERS_SERVICE = 'ORDERS_SERVICE';
const setting = settingFromEnv();

/**
 * The stock consumer as idiomatic code writes it: no inbox, no dedupe. A message delivered twice
 * (redelivered after a crash between the commit and the ack) takes the stock twice, and the
 * reservations table, with no unique constraint on the order, keeps both so the bench can count it.
 */
@Controller()
class StockConsumer implements OnApplicationBootstrap {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(ORDERS_SERVICE) private readonly orders: ClientProxy,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.orders.connect();
  }

  @EventPattern('order_placed')
  async reserve(@Payload() event: OrderPlaced, @Ctx() context: RmqContext): Promise<void> {
    const refused = await reserveStock(this.pool, event.orderId, event.lines);
    const result: StockResult = refused ? { orderId: event.orderId, status: 'REJECTED', reason: refused } : { orderId: event.orderId, status: 'CONFIRMED' };
    const emitted = this.orders.emit('stock_result', result);
    if (setting === 'ack') {
      // The documented manual acknowledgement, once the work is committed and its result is on its way.
      await lastValueFrom(emitted, { defaultValue: undefined });
      const channel = context.getChannelRef();
      channel.ack(context.getMessage());
    }
  }
}

@Module({
  imports: [ClientsModule.register([{ name: ORDERS_SERVICE, ...rmqClientOptions(setting, RESULTS_QUEUE) }])],
  controllers: [StockConsumer],
  providers: [pgPoolProvider],
})
export class NestRmqConsumerModule {}
