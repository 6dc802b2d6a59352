// The chaos suite: one scenario per file, run one at a time (each starts a whole system and loads it).
const preset = require('../jest.preset');

module.exports = {
  ...preset,
  displayName: 'e2e',
  // compose/: what only the compose project has (nginx with the storefront, MailDev), run by `pnpm test:e2e:compose`.
  // src/*.spec.ts: the checks' own rules, without a system (seconds).
  testMatch: [
    '<rootDir>/src/**/*.spec.ts',
    '<rootDir>/scenarios/**/*.e2e.ts',
    ...(process.env.E2E_DRIVER === 'compose' ? ['<rootDir>/compose/**/*.e2e.ts'] : []),
  ],
  // Process driver only: S13 starts each service with OTEL_* variables of its own and reads the
  // processes' memory; the compose project's traces are checked by compose/traces.e2e.ts instead.
  testPathIgnorePatterns: ['/node_modules/', ...(process.env.E2E_DRIVER === 'compose' ? ['/scenarios/s13-'] : [])],
  moduleNameMapper: { '^@shop/(contracts|testing)$': '<rootDir>/../libs/$1/src' },
  globalSetup: '<rootDir>/src/results-setup.ts',
  globalTeardown: '<rootDir>/src/results-teardown.ts',
  // A scenario streams orders, kills things and waits for every order to settle: minutes, not seconds.
  testTimeout: 10 * 60_000,
  slowTestThreshold: 600,
};
