import { Controller, Get, Header, type Type } from '@nestjs/common';
import { ENDPOINTS, OPENAPI_PATH, openApiDocument, SERVICE_OPENAPI_PATH, type Service } from '@shop/contracts';

/** Generated on the first request, then kept: the contracts do not change while the process runs. */
const documents = new Map<Service | 'shop', Record<string, unknown>>();
const documentOf = (part: Service | 'shop') => documents.get(part) ?? documents.set(part, openApiDocument(part === 'shop' ? undefined : part)).get(part)!;

/**
 * The OpenAPI documents a service serves: its own part at /openapi.json (beside its health
 * endpoints, per instance), and, for the service the endpoint table gives /api/openapi.json to
 * (order-service, which the storefront's /api reaches), the whole shop's.
 */
export function openApiControllers(service: Service): Type<unknown>[] {
  @Controller()
  class ServiceOpenApiController {
    @Get(SERVICE_OPENAPI_PATH.slice(1))
    @Header('cache-control', 'no-cache')
    document(): Record<string, unknown> {
      return documentOf(service);
    }
  }

  @Controller()
  class ShopOpenApiController {
    @Get(OPENAPI_PATH.slice(1))
    @Header('cache-control', 'no-cache')
    document(): Record<string, unknown> {
      return documentOf('shop');
    }
  }

  const servesShop = ENDPOINTS.some((endpoint) => endpoint.path === OPENAPI_PATH && endpoint.service === service);
  return servesShop ? [ServiceOpenApiController, ShopOpenApiController] : [ServiceOpenApiController];
}
