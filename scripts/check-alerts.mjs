#!/usr/bin/env node
// `pnpm alerts:check` (part of `pnpm test static`): infra/prometheus/prometheus.yml and alerts.yml
// are valid, every alert says how bad it is and what to do, alerts.test.yml passes, and those tests
// can fail: each rule in turn is made never to fire, then always to fire, and the tests must fail
// both times (a rule whose tests survive that is untested, whatever they claim).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

const folder = join(dirname(fileURLToPath(import.meta.url)), '..', 'infra', 'prometheus');
const promtool = process.env.PROMTOOL ?? 'promtool';
const SEVERITIES = ['critical', 'warning'];
/** Two ways to break a rule: it can no longer fire, or it fires whatever the metrics say. */
const BREAKAGES = [
  { what: 'never fires', expr: 'vector(1) == 0' },
  { what: 'always fires', expr: 'vector(1)' },
];

if (spawnSync(promtool, ['--version'], { stdio: 'ignore' }).error) {
  console.error('alerts:check needs promtool: run `apt-get install -y prometheus` (Debian), or set PROMTOOL to a promtool binary.');
  process.exit(1);
}

let failed = 0;
function promtoolIn(cwd, ...args) {
  return spawnSync(promtool, args, { cwd, encoding: 'utf8' });
}
function check(name, result) {
  if (result.status === 0) return console.log(`ok: ${name}`);
  failed++;
  console.log(`FAILED: ${name}\n${`${result.stdout ?? ''}${result.stderr ?? ''}`.trim()}`);
}

check('promtool check config prometheus.yml (and the rule files it loads)', promtoolIn(folder, 'check', 'config', 'prometheus.yml'));
check('promtool check rules alerts.yml', promtoolIn(folder, 'check', 'rules', 'alerts.yml'));
check('promtool test rules alerts.test.yml', promtoolIn(folder, 'test', 'rules', 'alerts.test.yml'));

const source = readFileSync(join(folder, 'alerts.yml'), 'utf8');
const rules = parseDocument(source)
  .toJS()
  .groups.flatMap((group, g) => group.rules.map((rule, r) => ({ ...rule, path: ['groups', g, 'rules', r, 'expr'] })));

for (const rule of rules) {
  const missing = [
    SEVERITIES.includes(rule.labels?.severity) ? null : `a severity label (${SEVERITIES.join(' or ')})`,
    rule.annotations?.summary ? null : 'a summary',
    rule.annotations?.description ? null : 'a description saying what to do',
  ].filter(Boolean);
  check(`${rule.alert} has a severity, a summary and a description`, {
    status: missing.length === 0 ? 0 : 1,
    stdout: `it lacks ${missing.join(', ')}`,
  });
}

// Each breakage in a copy of the folder, so the tests load the broken rule file as alerts.yml.
const scratch = mkdtempSync(join(tmpdir(), 'alerts-check-'));
try {
  copyFileSync(join(folder, 'alerts.test.yml'), join(scratch, 'alerts.test.yml'));
  for (const rule of rules) {
    for (const breakage of BREAKAGES) {
      const broken = parseDocument(source);
      broken.setIn(rule.path, breakage.expr);
      writeFileSync(join(scratch, 'alerts.yml'), broken.toString());
      const result = promtoolIn(scratch, 'test', 'rules', 'alerts.test.yml');
      check(`alerts.test.yml fails when ${rule.alert} ${breakage.what}`, {
        status: result.status === 0 ? 1 : 0,
        stdout: `the tests still pass with ${rule.alert}'s expr replaced by \`${breakage.expr}\`: no case expects it to ${breakage.what === 'never fires' ? 'fire' : 'stay silent'}`,
      });
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

console.log(failed === 0 ? `alerts: ${rules.length} rules checked and tested` : `alerts: ${failed} check(s) failed`);
process.exit(failed === 0 ? 0 : 1);
