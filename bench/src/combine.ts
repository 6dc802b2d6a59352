import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeReport, type BenchResults } from './report';

/**
 * `pnpm --filter @shop/bench combine <results.json>...`: one report from runs that each measured some
 * phases (`--only=...`), say the baselines in one and the growth rows in a long run of its own. Later
 * files win where two measured the same phase; `parts` says which run each phase came from (a
 * published report combined before keeps its own `parts`, so it can be combined again). The ratios
 * and targets are worked out again over the whole, written where a run writes (.runs/bench), for
 * `pnpm results:publish bench`.
 */
/** What describes a run rather than measures something: every other top-level key of a result is a phase's figures. */
const RUN_FIELDS = new Set<string>(['machine', 'mode', 'takenAt', 'plan', 'ratios', 'targets', 'parts']);

const files = process.argv.slice(2);
if (files.length < 2) {
  console.error('usage: combine <results.json> <results.json>...  (e.g. bench/results/latest.json .runs/bench/latest.json)');
  process.exit(2);
}
const runs = files.map((file) => JSON.parse(readFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), file), 'utf8')) as BenchResults);
const combined = { ...runs[runs.length - 1], parts: {} as Record<string, string> } as BenchResults & { parts: Record<string, string> };
// Runs on different machines say each its own. The ratios and targets are worked out again over the whole
// report, so the phases a ratio compares (intake with the ceiling and the coupled baseline; B9's systems with
// each other) must come from one run: combine runs that each measured such phases together, as
// `--only=baselines,faults` or the quick run do. Nothing here checks it.
const machines = [...new Set(runs.map((run) => run.machine))];
for (const run of runs) {
  const on = (from: string) => (machines.length > 1 && !from.includes(' on ') ? `${from} on ${run.machine}` : from);
  const from = `${run.takenAt.slice(0, 16).replace('T', ' ')} UTC ${run.mode}`;
  for (const [phase, figures] of Object.entries(run)) {
    if (RUN_FIELDS.has(phase) || figures === undefined) continue;
    (combined as unknown as Record<string, unknown>)[phase] = figures;
    // A combined report as an input keeps saying where each of its phases came from.
    combined.parts[phase] = on(run.parts?.[phase] ?? from);
  }
}
if (machines.length > 1) combined.machine = 'the machine each run names';
combined.takenAt = runs.map((run) => run.takenAt).sort()[runs.length - 1];
writeReport(combined, resolve(__dirname, '../../.runs/bench'));
