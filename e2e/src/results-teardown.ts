import { formatTable, readResults, RESULTS_FILE } from './results';

/** Jest globalTeardown: the whole run's table, as written to e2e/results/latest.json. */
export default function teardown(): void {
  const results = readResults();
  if (!results || results.scenarios.length === 0) return;
  process.stdout.write(`\nChaos results (${RESULTS_FILE}):\n${formatTable(results.driver, results.scenarios)}\n`);
}
