module.exports = {
  ...require('../../jest.preset'),
  displayName: 'service',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
