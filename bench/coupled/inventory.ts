import { Body, ConflictException, Controller, Get, HttpCode, Inject, Module, Post } from '@nestjs/common';
import { Pool } from 'pg';
import { z } from 'zod';
import { parseOr400, PG_POOL, pgPoolProvider } from './common';

export const reserveRequestSchema = z.object({
  orderId: z.uuid(),
  lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).min(1),
});
export type ReserveRequest = z.infer<typeof reserveRequestSchema>;

/** Inventory's synchronous API: decrements stock for an order now, all lines or none, or answers 409. */
@Controller()
class StockController {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  @Get('health/ready')
  ready() {
    return { status: 'ok' };
  }

  @Post('api/reservations')
  @HttpCode(200)
  async reserve(@Body() body: unknown): Promise<{ reserved: true }> {
    const request = parseOr400(reserveRequestSchema, body);
    const lines = [...request.lines].sort((a, b) => a.sku.localeCompare(b.sku)); // fixed lock order: no deadlocks
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
          throw new ConflictException(`not enough stock of ${line.sku}`);
        }
      }
      await client.query(`INSERT INTO reservations (order_id, sku, quantity) SELECT $1, * FROM unnest($2::text[], $3::int[])`, [
        request.orderId,
        lines.map((line) => line.sku),
        lines.map((line) => line.quantity),
      ]);
      await client.query('COMMIT');
      return { reserved: true };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}

@Module({ controllers: [StockController], providers: [pgPoolProvider] })
export class CoupledInventoryModule {}
