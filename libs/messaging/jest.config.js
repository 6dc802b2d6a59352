module.exports = {
  ...require('../../jest.preset'),
  displayName: 'messaging',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
