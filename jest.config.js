// Unit and integration tests of the services and libs, against the real PostgreSQL and RabbitMQ.
// The e2e suite (e2e/) and the storefront's tests (Vitest) run separately; `pnpm test` runs them all.
module.exports = {
  // Integration suites start real services and wait for outcomes (never for a fixed time).
  testTimeout: 90_000,
  projects: [
    '<rootDir>/libs/contracts',
    '<rootDir>/libs/platform',
    '<rootDir>/libs/messaging',
    '<rootDir>/libs/outbox',
    '<rootDir>/libs/service',
    '<rootDir>/libs/telemetry',
    '<rootDir>/libs/testing',
    '<rootDir>/apps/order-service',
    '<rootDir>/apps/inventory-service',
    '<rootDir>/apps/notification-service',
    '<rootDir>/apps/payment-provider',
    '<rootDir>/apps/payment-service',
    '<rootDir>/test/integration',
  ],
};
