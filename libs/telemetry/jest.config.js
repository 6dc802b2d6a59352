module.exports = {
  ...require('../../jest.preset'),
  displayName: 'telemetry',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
