import { Body, Controller, Headers, Inject, Module, type OnApplicationBootstrap, Post } from '@nestjs/common';
import { ClientProxy, ClientsModule, Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { lastValueFrom } from 'rxjs';
import { HealthController, insertOrder, parseOrderRequest, priceOrder } from '../../coupled/common';
import { PG_POOL, pgPoolProvider } from './db';
import { ORDERS_QUEUE, rmqClientOptions, settingFromEnv, type OrderPlaced, type StockResult } from './settings';

const STOCK_SERVICE = 'STOCK_SERVICE';
const setting = settingFromEnv();

/**
 * Orders the way the Nest RMQ transport's documentation leads to: the order is committed PENDING,
 * then `ClientProxy.emit` sends `order_placed`. Two writes, to two systems, with nothing tying
 * them: an order committed by a process that dies (or a broker that is away) before the emit is
 * PENDING for ever.
 */
@Controller()
class OrdersController implements OnApplicationBootstrap {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(STOCK_SERVICE) private readonly stock: ClientProxy,
  ) {}

  /** As the docs suggest: connect at startup rather than on the first emit. */
  async onApplicationBootstrap(): Promise<void> {
    await this.stock.connect();
  }

  @Post('api/orders')
  async placeOrder(@Headers('idempotency-key') rawKey: string | undefined, @Body() body: unknown) {
    const { key, request } = parseOrderRequest(rawKey, body);
    const lines = await priceOrder(this.pool, request);
    const id = randomUUID();
    const order = await insertOrder(this.pool, { id, idempotencyKey: key, request, lines, status: 'PENDING' });

    // The dual write. `emit` returns a hot observable: it publishes whether or not anyone subscribes.
    const event: OrderPlaced = { orderId: id, lines: request.lines.map(({ sku, quantity }) => ({ sku, quantity })) };
    const emitted = this.stock.emit('order_placed', event);
    // With the defaults, as the docs show it, nobody waits: a failed publish goes unnoticed. The
    // careful setting waits for the broker's confirm, so a failed publish is a 500, not a 201.
    if (setting === 'ack') await lastValueFrom(emitted, { defaultValue: undefined });
    return order;
  }
}

/** The orders app is a hybrid application too: it consumes the stock results and records them. */
@Controller()
class StockResultsController {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  @EventPattern('stock_result')
  async recordResult(@Payload() result: StockResult, @Ctx() context: RmqContext): Promise<void> {
    await this.pool.query(`UPDATE orders SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1`, [
      result.orderId,
      result.status,
      result.reason ?? null,
    ]);
    if (setting === 'ack') {
      const channel = context.getChannelRef();
      channel.ack(context.getMessage());
    }
  }
}

@Module({
  imports: [ClientsModule.register([{ name: STOCK_SERVICE, ...rmqClientOptions(setting, ORDERS_QUEUE) }])],
  controllers: [HealthController, OrdersController, StockResultsController],
  providers: [pgPoolProvider],
})
export class NestRmqOrdersModule {}
