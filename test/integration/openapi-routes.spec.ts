import { ENDPOINTS, OPENAPI_PATH, openApiDocument, OPERATIONAL_ROUTES, SERVICE_OPENAPI_PATH, SERVICES, type Service } from '@shop/contracts';
import { ShopHarness } from './harness';

/** The routes the OpenAPI document gives a service, as `METHOD /path/{param}`. */
const documented = (service: Service) => ENDPOINTS.filter((endpoint) => endpoint.service === service).map((e) => `${e.method.toUpperCase()} ${e.path}`);

describe('the OpenAPI document against the routes the services register', () => {
  let shop: ShopHarness;
  let notificationUrl: string;

  beforeAll(async () => {
    shop = await ShopHarness.create();
    await shop.startInventoryService();
    await shop.startOrderService();
    notificationUrl = (await shop.startNotificationService()).url;
  });

  afterAll(() => shop?.dispose());

  it.each(SERVICES)('%s registers exactly the routes the document gives it, besides its probes and its own document', (service) => {
    const registered = [...shop.routes[service]].filter((route) => !OPERATIONAL_ROUTES[service].includes(route));
    expect(registered.length).toBeGreaterThan(0);
    expect(registered.sort()).toEqual(documented(service).sort());
    // The operational routes listed exist too: the list is not a place to hide a route.
    expect([...shop.routes[service]]).toEqual(expect.arrayContaining(OPERATIONAL_ROUTES[service]));
  });

  it('serves the whole shop at /api/openapi.json (through the storefront proxy) and each service its own part at /openapi.json', async () => {
    const whole = await fetch(`${shop.orderUrl}${OPENAPI_PATH}`);
    expect(whole.status).toBe(200);
    expect(await whole.json()).toEqual(openApiDocument());
    for (const [service, url] of [
      ['order-service', shop.orderUrl],
      ['inventory-service', shop.inventoryUrl],
      ['payment-service', shop.paymentUrl],
      ['notification-service', notificationUrl],
    ] as const) {
      const own = await fetch(`${url}${SERVICE_OPENAPI_PATH}`);
      expect(own.status).toBe(200);
      expect(await own.json()).toEqual(openApiDocument(service));
    }
  });
});
