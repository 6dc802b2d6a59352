// The chaos suite: one scenario per file, run one at a time (each starts a whole system and loads it).
const preset = require('../jest.preset');

module.exports = {
  ...preset,
  displayName: 'e2e',
  // src/*.spec.ts: the checks' own rules, without a system (seconds). The process driver runs every
  // scenario. The compose driver (`pnpm test:e2e:compose`, after the images are built) runs what only
  // the compose project can show, at about six minutes a file here: compose/ (the README demo through
  // nginx, with inventory killed; its trace in Jaeger), and the scenarios whose fault is a container's
  // own: order-service killed with orders in its outbox (S2), the broker container killed (S3), the
  // whole saga stopped and started (S12b). S1, S4 and S5 repeat what those show (a service container
  // killed or stopped, a database refused), so they run on the process driver only; the others need
  // what the compose project does not have (a broker cluster, replicas, the services' environment, the
  // SMTP server stopped), and S13 starts each service with OTEL_* variables of its own.
  testMatch:
    process.env.E2E_DRIVER === 'compose'
      ? ['<rootDir>/src/**/*.spec.ts', '<rootDir>/compose/**/*.e2e.ts', ...['s2-', 's3-', 's12b-'].map((file) => `<rootDir>/scenarios/${file}*.e2e.ts`)]
      : ['<rootDir>/src/**/*.spec.ts', '<rootDir>/scenarios/**/*.e2e.ts'],
  moduleNameMapper: { '^@shop/(contracts|testing)$': '<rootDir>/../libs/$1/src' },
  globalSetup: '<rootDir>/src/results-setup.ts',
  globalTeardown: '<rootDir>/src/results-teardown.ts',
  // A scenario streams orders, kills things and waits for every order to settle: minutes, not seconds.
  testTimeout: 10 * 60_000,
  slowTestThreshold: 600,
};
