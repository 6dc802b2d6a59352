import { resetResults } from './results';

/** Jest globalSetup: this run's results file (`.runs/e2e/<driver>.json`) starts empty. */
export default function setup(): void {
  resetResults(process.env.E2E_DRIVER ?? 'process');
}
