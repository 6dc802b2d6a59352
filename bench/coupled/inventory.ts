import { Body, ConflictException, Controller, HttpCode, Inject, Module, Post } from '@nestjs/common';
import { Pool } from 'pg';
import { z } from 'zod';
import { HealthController, parseOr400, PG_POOL, pgPoolProvider, reserveStock } from './common';

export const reserveRequestSchema = z.object({
  orderId: z.uuid(),
  lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).min(1),
});
export type ReserveRequest = z.infer<typeof reserveRequestSchema>;

/** Inventory's synchronous API: decrements stock for an order now, all lines or none, or answers 409. */
@Controller()
class StockController {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  @Post('api/reservations')
  @HttpCode(200)
  async reserve(@Body() body: unknown): Promise<{ reserved: true }> {
    const request = parseOr400(reserveRequestSchema, body);
    const refused = await reserveStock(this.pool, request.orderId, request.lines);
    if (refused) throw new ConflictException(refused);
    return { reserved: true };
  }
}

@Module({ controllers: [HealthController, StockController], providers: [pgPoolProvider] })
export class CoupledInventoryModule {}
