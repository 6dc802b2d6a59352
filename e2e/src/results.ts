import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** One scenario's line in a run's results (`.runs/e2e/<driver>.json`). */
export interface ScenarioResult {
  name: string;
  accepted: number;
  confirmed: number;
  rejected: number;
  /** Orders their shoppers cancelled (S12 only). */
  cancelled?: number;
  lost: number;
  appliedTwice: number;
  maxSecondsToFinal: number;
  /** Orders settled per second once a backlog starts draining (S5 only). */
  drainPerSecond: number | null;
  /**
   * The longest pause in publishing order.placed (seconds between two confirmed publishes) from the
   * first fault to the end of the stream; null for a scenario that records no fault.
   */
  publishPausedSeconds?: number | null;
  /** Emails a lifecycle event called for that the SMTP server never accepted (S10 only; absent elsewhere). */
  emailsLost?: number | null;
  /** Extra copies the SMTP server accepted of an email (same Message-ID): a crash between SMTP's reply and the commit sends again. */
  emailsDuplicated?: number | null;
  /** Emails that reached the SMTP server out of their order's sequence (a decision before the receipt, anything after the cancellation). */
  emailsOutOfSequence?: number | null;
  /** The saga's counts (S12): orders declined, money moved, compensations; see saga-check.ts. */
  saga?: Record<string, number>;
  /** Order CONFIRMED (orders.updated_at) to its confirmation email accepted by SMTP, seconds. */
  emailLatencySeconds?: { p50: number; p99: number } | null;
}

export interface RunResults {
  driver: string;
  scenarios: ScenarioResult[];
}

/**
 * A run writes to the ignored `.runs/e2e/<driver>.json`, never to a tracked file;
 * `pnpm results:publish` copies the process driver's run to e2e/results/latest.json.
 */
export const resultsFile = (driver: string): string => resolve(__dirname, '../../.runs/e2e', `${driver}.json`);

function write(results: RunResults): void {
  const file = resultsFile(results.driver);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function readResults(driver: string): RunResults | null {
  const file = resultsFile(driver);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunResults) : null;
}

/** Starts latest.json afresh for this run. */
export function resetResults(driver: string): void {
  write({ driver, scenarios: [] });
}

/** Adds (or replaces) a scenario's result; scenarios are kept in name order. */
export function recordScenario(driver: string, result: ScenarioResult): void {
  const current = readResults(driver);
  const scenarios = (current?.scenarios ?? []).filter((scenario) => scenario.name !== result.name);
  write({ driver, scenarios: [...scenarios, result].sort((a, b) => a.name.localeCompare(b.name)) });
}

const COLUMNS: [string, (result: ScenarioResult) => string][] = [
  ['scenario', (r) => r.name],
  ['accepted', (r) => String(r.accepted)],
  ['confirmed', (r) => String(r.confirmed)],
  ['rejected', (r) => String(r.rejected)],
  ['lost', (r) => String(r.lost)],
  ['applied twice', (r) => String(r.appliedTwice)],
  ['max s to final', (r) => r.maxSecondsToFinal.toFixed(1)],
  ['drain orders/s', (r) => (r.drainPerSecond === null ? '-' : r.drainPerSecond.toFixed(1))],
  ['publish paused s', (r) => (r.publishPausedSeconds === null || r.publishPausedSeconds === undefined ? '-' : r.publishPausedSeconds.toFixed(1))],
  ['emails lost', (r) => String(r.emailsLost ?? '-')],
  ['emails twice', (r) => String(r.emailsDuplicated ?? '-')],
];

export function formatTable(driver: string, results: ScenarioResult[]): string {
  const cells = [COLUMNS.map(([title]) => title), ...results.map((result) => COLUMNS.map(([, value]) => value(result)))];
  const widths = COLUMNS.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [`driver: ${driver}`, line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}
