import { chaosScenario } from '../src/scenario';

chaosScenario({
  name: 'S5',
  title: 'inventory-service down for the whole stream, then started: the backlog drains',
  measureDrain: true,
  beforeStream: ({ system }) => system.stopService('inventory-service'),
  afterStream: ({ system }) => system.startService('inventory-service'),
});
