import { chaosScenario, outage } from '../src/scenario';

chaosScenario({
  name: 'S1',
  title: 'inventory-service killed with SIGKILL three times mid-stream',
  duringStream: async ({ system, load, fault }) => {
    for (let round = 0; round < 3; round++) {
      fault(`SIGKILL inventory-service (${round + 1} of 3)`);
      await outage(system, 'inventory-service', 3_000);
      await load.waitForAccepted(load.stats.accepted + 150);
    }
  },
});
