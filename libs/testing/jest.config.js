module.exports = {
  ...require('../../jest.preset'),
  displayName: 'testing',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
