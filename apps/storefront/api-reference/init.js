/* global SwaggerUIBundle */
// The API reference page (development only; see plugin.ts): Swagger UI over the document the running
// shop serves. A file, not an inline script: the page runs under the storefront's CSP.
window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#api-reference',
  deepLinking: true,
  // No badge from validator.swagger.io: the CSP allows images from 'self' only, and the document is linted here (pnpm api:lint).
  validatorUrl: null,
});
