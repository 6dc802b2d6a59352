module.exports = {
  ...require('../../jest.preset'),
  displayName: 'inventory-service',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
