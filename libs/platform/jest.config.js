module.exports = {
  ...require('../../jest.preset'),
  displayName: 'platform',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
