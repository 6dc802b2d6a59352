import { createDatabase } from '@shop/testing';
import { resolve } from 'node:path';
import { createCoupledSchema } from '../coupled/schema';
import { ServiceProcess } from './processes';
import { BENCH_STOCK } from './shop';

const MAIN = resolve(__dirname, '../coupled/main.ts');
const TSCONFIG = resolve(__dirname, '../tsconfig.json');

/** The tightly coupled baseline (bench/coupled) on its own fresh databases of the same server. */
export class CoupledShop {
  private constructor(
    readonly orders: ServiceProcess,
    readonly inventory: ServiceProcess,
    private readonly drops: (() => Promise<void>)[],
  ) {}

  static async start(logDir: string): Promise<CoupledShop> {
    const [ordersDb, inventoryDb] = await Promise.all([createDatabase('bench_coupled_orders'), createDatabase('bench_coupled_inventory')]);
    const drops = [ordersDb.drop, inventoryDb.drop];
    try {
      await createCoupledSchema(ordersDb.url, inventoryDb.url, BENCH_STOCK);
      const env = { NODE_ENV: 'production', TSX_TSCONFIG_PATH: TSCONFIG };
      const args = ['--import', 'tsx', MAIN];
      const inventory = await ServiceProcess.create('coupled-inventory', args, { ...env, COUPLED_ROLE: 'inventory', DATABASE_URL: inventoryDb.url }, logDir);
      const orders = await ServiceProcess.create(
        'coupled-orders',
        args,
        { ...env, COUPLED_ROLE: 'orders', DATABASE_URL: ordersDb.url, INVENTORY_URL: inventory.url },
        logDir,
      );
      const shop = new CoupledShop(orders, inventory, drops);
      await Promise.all([inventory.start(), orders.start()]).catch(async (err) => {
        await shop.close();
        throw err;
      });
      return shop;
    } catch (err) {
      await Promise.allSettled(drops.map((drop) => drop()));
      throw err;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.orders.stop(), this.inventory.stop()]);
    await Promise.allSettled(this.drops.map((drop) => drop()));
  }
}
