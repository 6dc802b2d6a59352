module.exports = {
  ...require('../../jest.preset'),
  displayName: 'integration',
  testMatch: ['<rootDir>/**/*.spec.ts'],
};
