import { waitFor } from '@shop/testing';
import { chaosScenario, outage, sleep } from '../src/scenario';

const SMTP_DOWN_MS = 30_000;

chaosScenario({
  name: 'S10',
  title: 'notification-service killed with SIGKILL three times and the SMTP server stopped for 30 s mid-stream',
  notifications: true,
  duringStream: async ({ system, load, fault }) => {
    // Some 10 s without faults first: the emails' latency before the first fault is the undisturbed path's.
    await load.waitForAccepted(load.stats.accepted + 600);
    fault('SIGKILL notification-service (1 of 3)');
    await outage(system, 'notification-service', 3_000);
    await load.waitForAccepted(load.stats.accepted + 150);

    fault(`SMTP server stopped (SIGKILL) for ${SMTP_DOWN_MS / 1000} s`);
    const smtpDown = Date.now();
    await system.kill('smtp');
    await sleep(10_000);
    // Killed while it retries against a dead SMTP server: the unsent emails wait in the broker.
    fault('SIGKILL notification-service (2 of 3), SMTP still down');
    await outage(system, 'notification-service', 3_000);
    await sleep(Math.max(0, SMTP_DOWN_MS - (Date.now() - smtpDown)));
    await system.startService('smtp');

    // Strike while it sends what piled up during the outage, where a crash between SMTP's reply and the commit sends twice.
    const before = (await system.emails()).length;
    await waitFor(async () => (await system.emails()).length >= before + 100, { timeoutMs: 60_000, intervalMs: 100, what: '100 emails after SMTP came back' });
    fault('SIGKILL notification-service (3 of 3), sending the backlog');
    await outage(system, 'notification-service', 3_000);
  },
});
