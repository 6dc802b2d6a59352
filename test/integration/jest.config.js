module.exports = {
  ...require('../../jest.preset'),
  displayName: 'integration',
  testMatch: ['<rootDir>/**/*.spec.ts'],
  // Every answer a suite gets from the services is checked against docs/api's OpenAPI document.
  setupFilesAfterEnv: ['<rootDir>/openapi-setup.ts'],
};
