/**
 * The order_decisions migration on a real PostgreSQL database holding data from before it: orders
 * reserved then keep "reserved", and rejections whose answers are still in the outbox keep theirs,
 * so an upgrade never decides an order a second time.
 */
import { CreateOutboxAndInbox1732500000000 } from '@shop/outbox';
import { createDatabase } from '@shop/testing';
import { randomUUID } from 'node:crypto';
import { DataSource, type MigrationInterface } from 'typeorm';
import { CreateStock1732500000001 } from '../src/database/migrations/1732500000001-create-stock';
import { CreateOrderDecisions1732500000002 } from '../src/database/migrations/1732500000002-create-order-decisions';

describe('CreateOrderDecisions migration', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;

  beforeAll(async () => {
    database = await createDatabase('inventory_migration');
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function migrate(migrations: (new () => MigrationInterface)[]): Promise<DataSource> {
    const dataSource = new DataSource({ type: 'postgres', url: database.url, migrations, migrationsTransactionMode: 'each' });
    await dataSource.initialize();
    await dataSource.runMigrations();
    return dataSource;
  }

  it('backfills reserved orders from reservations and rejected ones from the answers in the outbox', async () => {
    const before = await migrate([CreateOutboxAndInbox1732500000000, CreateStock1732500000001]);
    const [reserved, rejected] = [randomUUID(), randomUUID()];
    await before.query(`INSERT INTO reservations (order_id, sku, quantity) VALUES ($1, 'MUG-001', 2)`, [reserved]);
    const answer = (routingKey: string, payload: object, at: string) =>
      before.query(`INSERT INTO outbox (id, exchange, routing_key, payload, headers, created_at) VALUES ($1, 'shop.inventory', $2, $3, '{}', $4)`, [
        randomUUID(),
        routingKey,
        payload,
        at,
      ]);
    await answer('stock.rejected', { orderId: rejected, sku: 'TEE-002', reason: 'TEE-002 is out of stock: 3 requested, 1 available' }, '2026-11-01T10:00:00Z');
    // A later copy of the same answer (a replay): the first one is the decision.
    await answer('stock.rejected', { orderId: rejected, sku: 'TEE-002', reason: 'a later copy' }, '2026-11-02T10:00:00Z');
    await before.destroy();

    const after = await migrate([CreateOutboxAndInbox1732500000000, CreateStock1732500000001, CreateOrderDecisions1732500000002]);
    try {
      const decisions = await after.query(`SELECT order_id, outcome, sku, reason, decided_at FROM order_decisions ORDER BY outcome`);
      expect(decisions).toEqual([
        {
          order_id: rejected,
          outcome: 'rejected',
          sku: 'TEE-002',
          reason: 'TEE-002 is out of stock: 3 requested, 1 available',
          decided_at: new Date('2026-11-01T10:00:00Z'),
        },
        { order_id: reserved, outcome: 'reserved', sku: null, reason: null, decided_at: expect.any(Date) },
      ]);
    } finally {
      await after.destroy();
    }
  });
});
