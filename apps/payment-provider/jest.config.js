module.exports = {
  ...require('../../jest.preset'),
  displayName: 'payment-provider',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
