import { ENDPOINTS, openApiDocument } from './openapi';
import { SERVICES } from './routes';

type Document = {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
};

describe('the OpenAPI document', () => {
  it('names each operation once, and every parameter of every path', () => {
    const ids = ENDPOINTS.map((endpoint) => endpoint.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const endpoint of ENDPOINTS) {
      const inPath = [...endpoint.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      expect({ path: endpoint.path, params: Object.keys(endpoint.pathParams ?? {}) }).toEqual({ path: endpoint.path, params: inPath });
    }
  });

  it('answers a malformed request with the error body that names the field', () => {
    const document = openApiDocument() as Document;
    expect(document.paths['/api/orders'].post.responses['400']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
    });
    expect(document.components.schemas.ApiError.properties?.issues).toMatchObject({ type: 'array', items: { required: ['field', 'message'] } });
  });

  it('gives each service a document of its own endpoints only, with the schemas they use', () => {
    const whole = openApiDocument() as Document;
    for (const service of SERVICES) {
      const part = openApiDocument(service) as Document;
      const own = ENDPOINTS.filter((endpoint) => endpoint.service === service).map((endpoint) => endpoint.path);
      expect(Object.keys(part.paths).sort()).toEqual([...new Set(own)].sort());
      expect(Object.keys(whole.components.schemas)).toEqual(expect.arrayContaining(Object.keys(part.components.schemas)));
    }
    expect(Object.keys((openApiDocument('payment-service') as Document).components.schemas)).not.toContain('OrderView');
  });
});
