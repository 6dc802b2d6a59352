import { Controller, Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { ClientProxy, ClientsModule, Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';
import { lastValueFrom } from 'rxjs';
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
    const result = await this.reserveStock(event);
    const emitted = this.orders.emit('stock_result', result);
    if (setting === 'ack') {
      // The documented manual acknowledgement, once the work is committed and its result is on its way.
      await lastValueFrom(emitted, { defaultValue: undefined });
      const channel = context.getChannelRef();
      channel.ack(context.getMessage());
    }
  }

  private async reserveStock(event: OrderPlaced): Promise<StockResult> {
    const lines = [...event.lines].sort((a, b) => a.sku.localeCompare(b.sku)); // fixed lock order: no deadlocks
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (const line of lines) {
        const { rowCount } = await client.query(`UPDATE stock SET available = available - $2, updated_at = now() WHERE sku = $1 AND available >= $2`, [
          line.sku,
          line.quantity,
        ]);
        if (rowCount !== 1) {
          await client.query('ROLLBACK');
          return { orderId: event.orderId, status: 'REJECTED', reason: `not enough stock of ${line.sku}` };
        }
      }
      await client.query(`INSERT INTO reservations (order_id, sku, quantity) SELECT $1, * FROM unnest($2::text[], $3::int[])`, [
        event.orderId,
        lines.map((line) => line.sku),
        lines.map((line) => line.quantity),
      ]);
      await client.query('COMMIT');
      return { orderId: event.orderId, status: 'CONFIRMED' };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}

@Module({
  imports: [ClientsModule.register([{ name: ORDERS_SERVICE, ...rmqClientOptions(setting, RESULTS_QUEUE) }])],
  controllers: [StockConsumer],
  providers: [pgPoolProvider],
})
export class NestRmqConsumerModule {}
