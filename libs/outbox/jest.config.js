module.exports = {
  ...require('../../jest.preset'),
  displayName: 'outbox',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
