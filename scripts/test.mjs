#!/usr/bin/env node
// `pnpm test`: every suite of the project, one after the other, against the real PostgreSQL and
// RabbitMQ, then one line with the totals: `N passed, M failed`.
//
//   pnpm test                  all suites
//   pnpm test backend e2e      only the named suites (static, backend, storefront, browser, e2e)
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(root, '.test-results');

/** Each suite writes Jest-format JSON (Vitest's json reporter writes the same fields). */
const SUITES = [
  {
    name: 'static',
    what: 'type check (tsc, every package), lint (ESLint, Prettier), Kubernetes manifests (pnpm k8s:check), Prometheus alert rules (pnpm alerts:check), the OpenAPI document (pnpm api:lint, Redocly)',
    checks: [
      ['pnpm', 'typecheck'],
      ['pnpm', 'lint'],
      ['pnpm', 'k8s:check'],
      ['pnpm', 'alerts:check'],
      ['pnpm', 'api:lint'],
    ],
  },
  { name: 'backend', what: 'unit and integration tests of libs and services (Jest)', command: ['pnpm', 'exec', 'jest', '--json', '--outputFile=%out'] },
  {
    name: 'storefront',
    what: 'storefront components (Vitest)',
    command: ['pnpm', '--filter', '@shop/storefront', 'exec', 'vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile=%out'],
  },
  {
    name: 'browser',
    what: 'storefront in Chromium against the real services (Vitest + playwright-core)',
    command: [
      'pnpm',
      '--filter',
      '@shop/storefront',
      'exec',
      'vitest',
      'run',
      '--config',
      'vitest.browser.config.ts',
      '--reporter=default',
      '--reporter=json',
      '--outputFile=%out',
    ],
    // The build lists the provider's test cards (as in development), so the shopper in the browser can pick one.
    before: [{ command: ['pnpm', '--filter', '@shop/storefront', 'exec', 'vite', 'build', '--logLevel', 'warn'], env: { VITE_SHOW_TEST_CARDS: 'true' } }],
  },
  {
    name: 'e2e',
    what: 'chaos scenarios, process driver (Jest)',
    command: ['pnpm', '--filter', '@shop/e2e', 'exec', 'jest', '--runInBand', '--json', '--outputFile=%out'],
  },
];

function run([command, ...args], options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', ...options });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function reachable(url, defaultPort) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || defaultPort) });
    socket.setTimeout(2_000);
    socket.once('connect', () => resolve(socket.end() && true));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => resolve(socket.destroy() && false));
  });
}

function commandWorks(command, args) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/**
 * Where PostgreSQL and RabbitMQ do not answer but a Docker engine does, runs both from the compose
 * file for the duration of the tests (ports published on 127.0.0.1 by docker-compose.e2e.yml).
 */
async function startServicesInContainers() {
  const compose = commandWorks('docker', ['compose', 'version']) ? ['docker', 'compose'] : ['docker-compose'];
  const project = ['-p', 'shop-test', '-f', 'docker-compose.yml', '-f', 'docker-compose.e2e.yml'];
  console.log('PostgreSQL or RabbitMQ does not answer; starting both from docker-compose.yml for this run');
  if ((await run([...compose, ...project, 'up', '-d', 'postgres', 'rabbitmq'])) !== 0) return false;
  process.on('exit', () => spawnSync(compose[0], [...compose.slice(1), ...project, 'down', '-v'], { cwd: root, stdio: 'ignore' }));
  const env = {
    TEST_POSTGRES_URL: `postgres://postgres:${process.env.POSTGRES_PASSWORD ?? 'postgres-dev-password'}@127.0.0.1:${process.env.E2E_POSTGRES_PORT ?? 15432}/postgres`,
    TEST_RABBITMQ_URL: `amqp://admin:${process.env.RABBITMQ_ADMIN_PASSWORD ?? 'admin-dev-password'}@127.0.0.1:${process.env.E2E_RABBITMQ_PORT ?? 15673}`,
    TEST_RABBITMQ_MANAGEMENT_URL: `http://admin:${process.env.RABBITMQ_ADMIN_PASSWORD ?? 'admin-dev-password'}@127.0.0.1:${process.env.RABBITMQ_MANAGEMENT_PORT ?? 15672}`,
  };
  for (let second = 0; second < 120; second++) {
    if (
      (await reachable(env.TEST_POSTGRES_URL, 5432)) &&
      (await reachable(env.TEST_RABBITMQ_URL, 5672)) &&
      (await reachable(env.TEST_RABBITMQ_MANAGEMENT_URL, 15672))
    ) {
      Object.assign(process.env, env);
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return false;
}

async function checkServices() {
  const postgres = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const rabbitmq = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const missing = [];
  if (!(await reachable(postgres, 5432))) missing.push(`PostgreSQL at ${new URL(postgres).host} (TEST_POSTGRES_URL)`);
  if (!(await reachable(rabbitmq, 5672))) missing.push(`RabbitMQ at ${new URL(rabbitmq).host} (TEST_RABBITMQ_URL)`);
  if (missing.length === 0) return;
  if (commandWorks('docker', ['info']) && (await startServicesInContainers())) return;
  console.error(`The tests run against real services, and these do not answer:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
  console.error('Start PostgreSQL and RabbitMQ (or a Docker engine, and pnpm test starts them from docker-compose.yml), then run pnpm test again.');
  process.exit(1);
}

/** The first lines of an error: what was expected and where (a locator's call log starts on its third). */
function summary(message) {
  return stripVTControlCharacters(message ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !(line.startsWith('at ') && /node_modules|<anonymous>|\(node:/.test(line)))
    .slice(0, 4)
    .join(' / ')
    .slice(0, 400);
}

/**
 * A suite's JSON report, read once: its counts, and what failed, a line each (the test's name, then
 * the first lines of its error), so the totals at the end of a long log say which tests to look at.
 * Null when the suite wrote no report.
 */
function readReport(file) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  const failures = report.testResults.flatMap((result) => {
    const failedTests = (result.assertionResults ?? []).filter((test) => test.status === 'failed');
    if (failedTests.length === 0 && result.status === 'failed') return [`${result.name}: ${summary(result.message)}`];
    return failedTests.map((test) => `${test.fullName}: ${summary(test.failureMessages?.[0])}`);
  });
  return { passed: report.numPassedTests, failed: report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0), failures };
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !SUITES.some((suite) => suite.name === name));
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; choose from ${SUITES.map((suite) => suite.name).join(', ')}`);
  process.exit(2);
}

/** The browser suite drives a real Chromium; no browser can be downloaded here, Debian's package can. */
function findChromium() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((path) => {
    if (!path) return false;
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const selected = SUITES.filter((suite) => wanted.length === 0 || wanted.includes(suite.name));
if (selected.some((suite) => suite.name === 'browser')) {
  const chromium = findChromium();
  if (!chromium) {
    // Before any stack starts: one line that says what to install.
    console.error('The browser suite needs Chromium: run `apt-get install -y chromium` (Debian), or set CHROMIUM_PATH to a Chromium or Chrome binary.');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  process.env.CHROMIUM_PATH = chromium;
}

await checkServices();
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
console.log('\n== build: libs and services (tsc -b)');
if ((await run(['pnpm', 'build'])) !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const rows = [];
for (const suite of selected) {
  console.log(`\n== ${suite.name}: ${suite.what}`);
  const out = join(results, `${suite.name}.json`);
  if (suite.checks) {
    // Each check passes or fails as a whole.
    const failures = [];
    for (const check of suite.checks) if ((await run(check)) !== 0) failures.push(check.join(' '));
    rows.push({ suite: suite.name, passed: suite.checks.length - failures.length, failed: failures.length, failures });
    continue;
  }
  let exitCode = 0;
  for (const step of suite.before ?? []) exitCode ||= await run(step.command, { env: { ...process.env, ...step.env } });
  if (exitCode === 0) exitCode = await run(suite.command.map((arg) => arg.replace('%out', out)));
  // A suite that crashed before reporting counts as one failure, never as nothing.
  const { passed, failed, failures } = readReport(out) ?? { passed: 0, failed: 1, failures: ["no report written: see the suite's output above"] };
  if (exitCode !== 0 && failed === 0) {
    rows.push({ suite: suite.name, passed, failed: 1, failures: [`exited with ${exitCode}, its report counting no failed test: see its output above`] });
  } else rows.push({ suite: suite.name, passed, failed, failures });
}

console.log('\n== totals');
for (const row of rows) {
  console.log(`${row.suite.padEnd(12)} ${String(row.passed).padStart(4)} passed, ${row.failed} failed`);
  for (const failure of row.failures) console.log(`  ✕ ${failure}`);
}
const passed = rows.reduce((sum, row) => sum + row.passed, 0);
const failed = rows.reduce((sum, row) => sum + row.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
