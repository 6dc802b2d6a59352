import { resetResults } from './results';

/** Jest globalSetup: this run's e2e/results/latest.json starts empty. */
export default function setup(): void {
  resetResults(process.env.E2E_DRIVER ?? 'process');
}
