module.exports = {
  ...require('../../jest.preset'),
  displayName: 'contracts',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
