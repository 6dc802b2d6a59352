import { chaosScenario, outage } from '../src/scenario';

/**
 * The order's saga under fire: cards that succeed, decline and hang (an unknown outcome the
 * provider resolves on the retry with the same key), a fifth of the orders cancelled by their
 * shoppers at random moments (before inventory saw them, while payment was being authorized,
 * after they were confirmed), and every process of the saga SIGKILLed while the orders stream.
 * The promise is checked from the databases and the provider's ledger (promise-check.ts): one
 * final status each, stock back for every order not confirmed, money moved only for confirmed
 * orders and once, every email in the order's own sequence.
 */
chaosScenario({
  name: 'S12',
  title: 'pay and cancel: cards that decline and hang, 20% of orders cancelled, payment-service, the provider, inventory and order-service SIGKILLed',
  notifications: true,
  minAccepted: 2_000,
  shoppers: {
    cards: { tok_success: 80, tok_declined: 5, tok_insufficient_funds: 5, tok_hang: 10 },
    cancelShare: 0.2,
    cancelWithinMs: 20_000,
  },
  duringStream: async ({ system, load, fault }) => {
    await load.waitForAccepted(load.stats.accepted + 300);
    fault('SIGKILL payment-service');
    await outage(system, 'payment-service', 3_000);
    await load.waitForAccepted(load.stats.accepted + 300);

    fault('SIGKILL the payment provider stand-in');
    await outage(system, 'payment-provider', 3_000);
    await load.waitForAccepted(load.stats.accepted + 300);

    fault('SIGKILL inventory-service');
    await outage(system, 'inventory-service', 3_000);
    await load.waitForAccepted(load.stats.accepted + 300);

    fault('SIGKILL order-service');
    await outage(system, 'order-service', 3_000);
    await load.waitForAccepted(load.stats.accepted + 300);

    // Once more while hung authorizations and cancels are in flight: the row lock and the keys must hold across a crash.
    fault('SIGKILL payment-service again');
    await outage(system, 'payment-service', 3_000);
  },
});
