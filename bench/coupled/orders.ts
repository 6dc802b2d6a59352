import { Body, Controller, Headers, Inject, Module, Post, ServiceUnavailableException, UnprocessableEntityException } from '@nestjs/common';
import type { CreateOrderRequest } from '@shop/contracts';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { HealthController, insertOrder, parseOrderRequest, PG_POOL, pgPoolProvider, priceOrder } from './common';

/**
 * The tightly coupled way: inventory is called over HTTP, synchronously, before the order is
 * stored and answered. Its latency is inside ours, and while it is down no order is taken.
 */
@Controller()
class CoupledOrdersController {
  private readonly inventoryUrl = process.env.INVENTORY_URL!;

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  @Post('api/orders')
  async placeOrder(@Headers('idempotency-key') rawKey: string | undefined, @Body() body: unknown) {
    const { key, request } = parseOrderRequest(rawKey, body);
    const lines = await priceOrder(this.pool, request);
    const id = randomUUID();
    await this.reserve(id, request.lines);
    return insertOrder(this.pool, { id, idempotencyKey: key, request, lines, status: 'CONFIRMED' });
  }

  private async reserve(orderId: string, lines: CreateOrderRequest['lines']): Promise<void> {
    let response: Response;
    try {
      response = await fetch(`${this.inventoryUrl}/api/reservations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orderId, lines }),
        signal: AbortSignal.timeout(5_000),
      });
    } catch (err) {
      throw new ServiceUnavailableException(`inventory is unreachable: ${(err as Error).message}`);
    }
    const text = await response.text();
    if (response.status === 409) throw new UnprocessableEntityException(JSON.parse(text).message);
    if (!response.ok) throw new ServiceUnavailableException(`inventory answered ${response.status}`);
  }
}

@Module({ controllers: [HealthController, CoupledOrdersController], providers: [pgPoolProvider] })
export class CoupledOrdersModule {}
