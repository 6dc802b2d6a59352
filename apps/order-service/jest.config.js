module.exports = {
  ...require('../../jest.preset'),
  displayName: 'order-service',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
