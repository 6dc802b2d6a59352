module.exports = {
  ...require('../../jest.preset'),
  displayName: 'payment-service',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
