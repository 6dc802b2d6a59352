import { waitUntilReady } from '@shop/testing';
import { chaosScenario, sleep } from '../src/scenario';

chaosScenario({
  name: 'S4',
  title: "inventory's database unreachable mid-stream; services recover without a restart",
  duringStream: async ({ system }) => {
    await system.cutDatabase('inventory-service');
    await sleep(6_000);
    await system.restoreDatabase('inventory-service');
    // The same process, never restarted, must find its database again.
    await waitUntilReady(system.url('inventory-service'), 'inventory-service after the database came back');
  },
});
