import { formatTable, readResults, resultsFile } from './results';

/** Jest globalTeardown: the whole run's table, as written to `.runs/e2e/<driver>.json`. */
export default function teardown(): void {
  const driver = process.env.E2E_DRIVER ?? 'process';
  const results = readResults(driver);
  if (!results || results.scenarios.length === 0) return;
  process.stdout.write(`\nChaos results (${resultsFile(driver)}):\n${formatTable(results.driver, results.scenarios)}\n`);
}
