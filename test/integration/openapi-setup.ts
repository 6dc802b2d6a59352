// Runs before each integration test file (jest.config.js): every answer the file's requests get
// from the services is checked against the OpenAPI document; a mismatch fails the file.
import { checkResponsesAgainstOpenApi, openApiChecker } from './openapi-contract';

const originalFetch = checkResponsesAgainstOpenApi();

afterAll(() => {
  globalThis.fetch = originalFetch;
  if (process.env.OPENAPI_CHECK_REPORT) console.log(`OpenAPI contract: ${openApiChecker().checked} response bodies validated`);
  expect(openApiChecker().violations).toEqual([]);
});
