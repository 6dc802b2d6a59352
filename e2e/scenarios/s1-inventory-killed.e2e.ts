import { chaosScenario, outage } from '../src/scenario';

chaosScenario({
  name: 'S1',
  title: 'inventory-service killed with SIGKILL three times mid-stream',
  // Every card succeeds and nobody cancels or signs in here: the other events are checked by the integration suite's tap.
  tapBroker: { notPublished: ['order.cancelled', 'signin.requested', 'payment.declined', 'payment.voided', 'payment.refunded'] },
  duringStream: async ({ system, load, fault }) => {
    for (let round = 0; round < 3; round++) {
      fault(`SIGKILL inventory-service (${round + 1} of 3)`);
      await outage(system, 'inventory-service', 3_000);
      await load.waitForAccepted(load.stats.accepted + 150);
    }
  },
});
