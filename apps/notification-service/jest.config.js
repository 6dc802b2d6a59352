module.exports = {
  ...require('../../jest.preset'),
  displayName: 'notification-service',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
