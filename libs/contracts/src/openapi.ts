import { z } from 'zod';
import { productSearchQuerySchema } from './catalog';
import { sentEmailViewSchema } from './notifications';
import {
  auditEntryViewSchema,
  auditQuerySchema,
  deadLetterActionResultSchema,
  deadLetterGroupViewSchema,
  deadLetterListQuerySchema,
  deadLetterViewSchema,
  discardRequestSchema,
  editRequestSchema,
  groupReplayRequestSchema,
  groupReplayResultSchema,
  OPERATIONS_PREFIX,
  operatorSchema,
  orderTimelineViewSchema,
  parkedRowActionResultSchema,
  parkedRowViewSchema,
  recordIdSchema,
  replayRequestSchema,
  serviceTraceViewSchema,
  stuckOrdersViewSchema,
  type OperatedService,
} from './operations';
import {
  apiErrorBodySchema,
  cancelConflictBodySchema,
  cancelOrderRequestSchema,
  cancelTokenSchema,
  createOrderRequestSchema,
  idempotencyKeySchema,
  noQuerySchema,
  orderIdSchema,
  orderStatusEventSchema,
  orderViewSchema,
  placedOrderViewSchema,
  productViewSchema,
  restockRequestSchema,
  shopperStatusViewSchema,
  skuSchema,
  stockLevelViewSchema,
  streamLimitBodySchema,
  systemStatusViewSchema,
} from './orders';
import { SERVICES, type Service } from './routes';
import { SESSION_COOKIE, sessionViewSchema, signInLinkRequestSchema, signInLinkSentViewSchema, signInRequestSchema } from './sessions';
import { SHOP_NAME } from './shop';

/**
 * The shop's HTTP API as one table: every endpoint of every service, with the zod schemas its
 * controller validates with and the ones its answers are built from. The OpenAPI 3.1 document is
 * generated from it (zod's own JSON Schema output, draft 2020-12: OpenAPI 3.1's dialect), served by
 * each service and written to docs/api/openapi.json by `pnpm api:docs`; a contract test holds every
 * route the services register to this table and back, and the integration suite's responses to it.
 */

/** Where the whole shop's document is served, through the storefront's origin (order-service answers /api). */
export const OPENAPI_PATH = '/api/openapi.json';
/** Where each service serves its own part, beside its health endpoints (not proxied). */
export const SERVICE_OPENAPI_PATH = '/openapi.json';
/**
 * Routes a service registers that are not part of its API: probes and its own document, per
 * instance and never proxied. (Metrics are served on METRICS_PORT, outside the app.)
 */
export const OPERATIONAL_ROUTES: Record<Service, string[]> = {
  'order-service': ['GET /health/live', 'GET /health/ready', `GET ${SERVICE_OPENAPI_PATH}`],
  'inventory-service': ['GET /health/live', 'GET /health/ready', `GET ${SERVICE_OPENAPI_PATH}`],
  'notification-service': ['GET /health/live', 'GET /health/ready', 'GET /health/smtp', `GET ${SERVICE_OPENAPI_PATH}`],
  'payment-service': ['GET /health/live', 'GET /health/ready', `GET ${SERVICE_OPENAPI_PATH}`],
};

type Method = 'get' | 'post' | 'delete';
type Security = 'adminToken' | 'shopperSession' | 'cancelToken';
type ResponseHeader = 'Retry-After' | 'Idempotent-Replayed' | 'Location' | 'Set-Cookie' | 'Cache-Control';

interface ResponseSpec {
  description: string;
  /** The body's schema (JSON unless `eventStream`); none: no body. */
  body?: z.ZodType;
  /** A `text/event-stream` whose events' `data` is `body`. */
  eventStream?: boolean;
  headers?: ResponseHeader[];
}

interface HeaderParameter {
  name: string;
  schema: z.ZodType;
  required: boolean;
  description: string;
}

export interface Endpoint {
  service: Service;
  method: Method;
  /** OpenAPI's path syntax (`/api/orders/{id}`). */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** Alternatives: any one of them admits the request (`[]`: none needed); unset: a public endpoint. */
  security?: Security[][];
  pathParams?: Record<string, z.ZodType>;
  query?: z.ZodType;
  headers?: HeaderParameter[];
  body?: { schema: z.ZodType; required: boolean };
  responses: Record<number, ResponseSpec>;
  /** Answered without the database (so without its 503); unset: every endpoint may answer the database's 503. */
  readsNoDatabase?: true;
}

/** The names under components.schemas; a schema not named here is written inline. */
const REQUEST_COMPONENTS: [string, z.ZodType][] = [
  ['CreateOrderRequest', createOrderRequestSchema],
  ['CancelOrderRequest', cancelOrderRequestSchema],
  ['SignInLinkRequest', signInLinkRequestSchema],
  ['SignInRequest', signInRequestSchema],
  ['RestockRequest', restockRequestSchema],
  ['GroupReplayRequest', groupReplayRequestSchema],
  ['ReplayRequest', replayRequestSchema],
  ['DiscardRequest', discardRequestSchema],
  ['EditRequest', editRequestSchema],
  ['Sku', skuSchema],
  ['OrderId', orderIdSchema],
  ['RecordId', recordIdSchema],
  ['IdempotencyKey', idempotencyKeySchema],
  ['CancelToken', cancelTokenSchema],
  ['Operator', operatorSchema],
];
const RESPONSE_COMPONENTS: [string, z.ZodType][] = [
  ['ApiError', apiErrorBodySchema],
  ['CancelConflict', cancelConflictBodySchema],
  ['StreamLimit', streamLimitBodySchema],
  ['ProductView', productViewSchema],
  ['OrderView', orderViewSchema],
  ['PlacedOrderView', placedOrderViewSchema],
  ['OrderStatusEvent', orderStatusEventSchema],
  ['SessionView', sessionViewSchema],
  ['SignInLinkSent', signInLinkSentViewSchema],
  ['ShopperStatusView', shopperStatusViewSchema],
  ['SystemStatusView', systemStatusViewSchema],
  ['StockLevelView', stockLevelViewSchema],
  ['SentEmailView', sentEmailViewSchema],
  ['StuckOrdersView', stuckOrdersViewSchema],
  ['OrderTimelineView', orderTimelineViewSchema],
  ['DeadLetterGroupView', deadLetterGroupViewSchema],
  ['DeadLetterView', deadLetterViewSchema],
  ['DeadLetterActionResult', deadLetterActionResultSchema],
  ['GroupReplayResult', groupReplayResultSchema],
  ['ParkedRowView', parkedRowViewSchema],
  ['ParkedRowActionResult', parkedRowActionResultSchema],
  ['AuditEntryView', auditEntryViewSchema],
  ['ServiceTraceView', serviceTraceViewSchema],
];

// The answers many endpoints share.
const error = (description: string, headers?: ResponseHeader[]): ResponseSpec => ({ description, body: apiErrorBodySchema, headers });
const badRequest = error('A parameter, header or body field is malformed (or the query string is not percent-encoded UTF-8): `issues[].field` names each one');
const notFound = (what: string) => error(`No such ${what}`);
const unauthorizedAdmin = error('No valid admin token (`Authorization: Bearer <ADMIN_TOKEN>`)');
const adminOff = error('The admin endpoints are off: the service has no ADMIN_TOKEN');
const tooLarge = error('The body is larger than 64 KiB');
const notJson = error('The body is not `application/json`');
/** Every service answers 503 with Retry-After when its database is unreachable (DatabaseUnavailableFilter): added to every endpoint by `operationOf`. */
const databaseDown = error('The service cannot reach its database: retry after `Retry-After` seconds (the same request is safe to repeat)', ['Retry-After']);
const ok = (description: string, body?: z.ZodType, headers: ResponseHeader[] = ['Cache-Control']): ResponseSpec => ({ description, body, headers });

const admin: Security[][] = [['adminToken']];
const adminAnswers = { 401: unauthorizedAdmin, 403: adminOff };
const bodyAnswers = { 400: badRequest, 413: tooLarge, 415: notJson };
const operatorHeader: HeaderParameter = {
  name: 'X-Operator',
  schema: operatorSchema,
  required: true,
  description: 'Who acts: recorded in the audit with the action',
};

/** The operators' routes every service has under its own prefix (libs/service's operations controllers). */
function operationsEndpoints(service: Service, operated: OperatedService): Endpoint[] {
  const prefix = OPERATIONS_PREFIX[operated];
  const id = (name: string) => `${operated}${name}`;
  const common = { service, tag: 'operations', security: admin } as const;
  const action = (body: z.ZodType) => ({ headers: [operatorHeader], body: { schema: body, required: true } });
  return [
    {
      ...common,
      method: 'get',
      path: `${prefix}/dead-letters/groups`,
      operationId: id('DeadLetterGroups'),
      summary: `The open dead letters of ${operated}, grouped by cause`,
      query: noQuerySchema,
      responses: { 200: ok('The groups', z.array(deadLetterGroupViewSchema)), 400: badRequest, ...adminAnswers },
    },
    {
      ...common,
      method: 'get',
      path: `${prefix}/dead-letters`,
      operationId: id('DeadLetters'),
      summary: `The dead letters of ${operated}'s queues`,
      query: deadLetterListQuerySchema,
      responses: { 200: ok('The dead letters, newest first', z.array(deadLetterViewSchema)), 400: badRequest, ...adminAnswers },
    },
    {
      ...common,
      method: 'get',
      path: `${prefix}/dead-letters/{id}`,
      operationId: id('DeadLetter'),
      summary: 'One dead letter',
      pathParams: { id: recordIdSchema },
      responses: { 200: ok('The dead letter', deadLetterViewSchema), 400: badRequest, ...adminAnswers, 404: notFound('dead letter') },
    },
    {
      ...common,
      method: 'post',
      path: `${prefix}/dead-letters/replay`,
      operationId: id('ReplayDeadLetters'),
      summary: 'Replays several dead letters (ids, or a group by fingerprint), paced, in the background',
      ...action(groupReplayRequestSchema),
      responses: {
        202: ok('The replay started; follow it in the audit', groupReplayResultSchema),
        ...bodyAnswers,
        ...adminAnswers,
        404: notFound('open dead letter among those named'),
      },
    },
    {
      ...common,
      method: 'post',
      path: `${prefix}/dead-letters/{id}/replay`,
      operationId: id('ReplayDeadLetter'),
      summary: 'Sends a dead letter again, through the outbox, under its own message id',
      pathParams: { id: recordIdSchema },
      ...action(replayRequestSchema),
      responses: {
        200: ok('Replayed', deadLetterActionResultSchema),
        ...bodyAnswers,
        ...adminAnswers,
        404: notFound('dead letter'),
        409: error('The dead letter is no longer open'),
        422: error('It cannot be replayed as it is (its body is not JSON, or its queue has no replay exchange): edit it instead'),
      },
    },
    {
      ...common,
      method: 'post',
      path: `${prefix}/dead-letters/{id}/discard`,
      operationId: id('DiscardDeadLetter'),
      summary: 'Discards a dead letter, with a reason',
      pathParams: { id: recordIdSchema },
      ...action(discardRequestSchema),
      responses: {
        200: ok('Discarded', deadLetterActionResultSchema),
        ...bodyAnswers,
        ...adminAnswers,
        404: notFound('dead letter'),
        409: error('The dead letter is no longer open'),
      },
    },
    {
      ...common,
      method: 'post',
      path: `${prefix}/dead-letters/{id}/edit`,
      operationId: id('EditDeadLetter'),
      summary: "Sends a corrected payload as a new message, checked against the event's schema",
      pathParams: { id: recordIdSchema },
      ...action(editRequestSchema),
      responses: {
        200: ok('Sent', deadLetterActionResultSchema),
        ...bodyAnswers,
        ...adminAnswers,
        404: notFound('dead letter'),
        409: error('The dead letter is no longer open'),
        422: error("The payload does not fit the event's schema (`issues[].field` names each field), or no schema is known for it"),
      },
    },
    {
      ...common,
      method: 'get',
      path: `${prefix}/orders/{orderId}/trace`,
      operationId: id('OrderTrace'),
      summary: `The hops of one order as ${operated} saw them, from its own tables`,
      pathParams: { orderId: orderIdSchema },
      responses: { 200: ok("The service's hops", serviceTraceViewSchema), 400: badRequest, ...adminAnswers },
    },
    {
      ...common,
      method: 'get',
      path: `${prefix}/audit`,
      operationId: id('Audit'),
      summary: `The operators' actions on ${operated}, newest first`,
      query: auditQuerySchema,
      responses: { 200: ok('The audit entries', z.array(auditEntryViewSchema)), 400: badRequest, ...adminAnswers },
    },
    {
      ...common,
      method: 'get',
      path: `${prefix}/outbox/parked`,
      operationId: id('ParkedRows'),
      summary: `The outbox rows ${operated} set aside after failing too often`,
      query: noQuerySchema,
      responses: { 200: ok('The parked rows', z.array(parkedRowViewSchema)), 400: badRequest, ...adminAnswers },
    },
    {
      ...common,
      method: 'post',
      path: `${prefix}/outbox/parked/{id}/retry`,
      operationId: id('RetryParkedRow'),
      summary: 'Puts a parked outbox row back in the relay',
      pathParams: { id: recordIdSchema },
      ...action(replayRequestSchema),
      responses: {
        200: ok('Back in the outbox', parkedRowActionResultSchema),
        ...bodyAnswers,
        ...adminAnswers,
        409: error('No such parked row'),
      },
    },
    {
      ...common,
      method: 'post',
      path: `${prefix}/outbox/parked/{id}/discard`,
      operationId: id('DiscardParkedRow'),
      summary: 'Discards a parked outbox row, with a reason',
      pathParams: { id: recordIdSchema },
      ...action(discardRequestSchema),
      responses: {
        200: ok('Discarded', parkedRowActionResultSchema),
        ...bodyAnswers,
        ...adminAnswers,
        409: error('No such parked row'),
      },
    },
  ];
}

/** Every endpoint of the shop, by service. */
export const ENDPOINTS: readonly Endpoint[] = [
  // order-service: the catalog, orders, sessions, the shopper's status, the operators' view of orders.
  {
    service: 'order-service',
    method: 'get',
    path: '/api/products',
    operationId: 'listProducts',
    summary: 'The catalog, or a search of it (`q`), in a chosen order (`sort`)',
    tag: 'catalog',
    query: productSearchQuerySchema,
    responses: { 200: ok('The products', z.array(productViewSchema)), 400: badRequest },
  },
  {
    service: 'order-service',
    method: 'get',
    path: '/api/products/{sku}',
    operationId: 'getProduct',
    summary: 'One product',
    tag: 'catalog',
    pathParams: { sku: skuSchema },
    responses: { 200: ok('The product', productViewSchema), 400: badRequest, 404: notFound('product') },
  },
  {
    service: 'order-service',
    method: 'post',
    path: '/api/orders',
    operationId: 'placeOrder',
    summary: 'Places an order: 201 as soon as it is stored (PENDING); the same key and body again answer the same order',
    tag: 'orders',
    headers: [
      {
        name: 'Idempotency-Key',
        schema: idempotencyKeySchema,
        required: true,
        description: 'Makes the request safe to retry: the same key with the same body places the order once',
      },
    ],
    body: { schema: createOrderRequestSchema, required: true },
    responses: {
      201: ok('The order, PENDING, with the capability to cancel it (`cancelToken`)', placedOrderViewSchema, [
        'Location',
        'Idempotent-Replayed',
        'Cache-Control',
      ]),
      ...bodyAnswers,
      422: error('An unknown sku, or an Idempotency-Key already used with another body (`issues[].field` names it)'),
    },
  },
  {
    service: 'order-service',
    method: 'get',
    path: '/api/orders',
    operationId: 'listMyOrders',
    summary: "The signed-in shopper's orders, newest first",
    tag: 'orders',
    security: [['shopperSession']],
    query: noQuerySchema,
    responses: {
      200: ok('The orders', z.array(orderViewSchema)),
      400: badRequest,
      401: error('No shopper session: sign in first'),
    },
  },
  {
    service: 'order-service',
    method: 'get',
    path: '/api/orders/{id}',
    operationId: 'getOrder',
    summary: 'One order',
    tag: 'orders',
    pathParams: { id: orderIdSchema },
    responses: { 200: ok('The order', orderViewSchema), 400: badRequest, 404: notFound('order') },
  },
  {
    service: 'order-service',
    method: 'post',
    path: '/api/orders/{id}/cancel',
    operationId: 'cancelOrder',
    summary: "Cancels an order, by its cancel token or its shopper's session; cancelling a cancelled order answers it again",
    tag: 'orders',
    security: [['cancelToken'], ['shopperSession']],
    pathParams: { id: orderIdSchema },
    headers: [{ name: 'cancel-token', schema: cancelTokenSchema, required: false, description: 'The `cancelToken` of the 201 that placed the order' }],
    body: { schema: cancelOrderRequestSchema, required: false },
    responses: {
      200: ok('The order, CANCELLED', orderViewSchema),
      ...bodyAnswers,
      401: error('Neither a cancel token nor a shopper session'),
      403: error("The cancel token or the session is not the order's"),
      404: notFound('order'),
      409: { description: 'The order can no longer be cancelled (`status` says why)', body: cancelConflictBodySchema },
    },
  },
  {
    service: 'order-service',
    method: 'get',
    path: '/api/orders/{id}/events',
    operationId: 'orderEvents',
    summary: "The order's status as server-sent events: the current one first, then each change, until nothing more will happen",
    tag: 'orders',
    pathParams: { id: orderIdSchema },
    responses: {
      200: {
        description: 'An event stream; each event `data` is the order status (`heartbeat` events carry `{}`)',
        body: orderStatusEventSchema,
        eventStream: true,
      },
      400: badRequest,
      404: notFound('order'),
      429: { description: 'This client holds its maximum of open streams (SSE_MAX_STREAMS_PER_CLIENT)', body: streamLimitBodySchema },
      503: {
        description: 'This instance holds its maximum of open streams (SSE_MAX_STREAMS), or its database is unreachable',
        body: z.union([streamLimitBodySchema, apiErrorBodySchema]),
        headers: ['Retry-After'],
      },
    },
  },
  {
    service: 'order-service',
    method: 'post',
    path: '/api/sessions/link',
    operationId: 'requestSignInLink',
    summary: 'Emails a sign-in link to the orders of an address; the same answer whether or not it has any',
    tag: 'sessions',
    body: { schema: signInLinkRequestSchema, required: true },
    responses: {
      202: ok('Accepted', signInLinkSentViewSchema, []),
      ...bodyAnswers,
      429: error('Too many links asked for from this client or for this address', ['Retry-After']),
    },
  },
  {
    service: 'order-service',
    method: 'post',
    path: '/api/sessions',
    operationId: 'signIn',
    summary: "Exchanges a link's token for a shopper session (an HttpOnly cookie)",
    tag: 'sessions',
    body: { schema: signInRequestSchema, required: true },
    responses: {
      201: ok('The session; its cookie is set', sessionViewSchema, ['Set-Cookie', 'Cache-Control']),
      ...bodyAnswers,
      401: error('The link was already used or has expired'),
      429: error('Too many sign-ins from this client', ['Retry-After']),
    },
  },
  {
    service: 'order-service',
    method: 'get',
    path: '/api/sessions/current',
    operationId: 'currentSession',
    summary: "The shopper's session",
    tag: 'sessions',
    security: [['shopperSession']],
    responses: { 200: ok('The session', sessionViewSchema), 401: error('No shopper session') },
  },
  {
    service: 'order-service',
    method: 'delete',
    path: '/api/sessions/current',
    operationId: 'signOut',
    summary: 'Signs out: the session is deleted and its cookie cleared',
    tag: 'sessions',
    security: [['shopperSession'], []],
    responses: { 204: ok('Signed out', undefined, ['Set-Cookie']) },
  },
  {
    service: 'order-service',
    method: 'get',
    path: '/api/system/status',
    operationId: 'shopperStatus',
    summary: 'Whether confirmations are prompt or delayed, in one word',
    tag: 'system',
    responses: { 200: ok('The status', shopperStatusViewSchema, []) },
  },
  {
    service: 'order-service',
    method: 'get',
    path: OPENAPI_PATH,
    operationId: 'openApiDocument',
    summary: "This document: the whole shop's HTTP API",
    tag: 'system',
    responses: { 200: ok('The OpenAPI document', z.record(z.string(), z.unknown()), []) },
    readsNoDatabase: true,
  },
  {
    service: 'order-service',
    method: 'get',
    path: '/api/operations/status',
    operationId: 'operationsStatus',
    summary: 'What stands between accepted orders and their confirmations: broker, outbox, inventory',
    tag: 'operations',
    security: admin,
    responses: { 200: ok('The figures', systemStatusViewSchema), ...adminAnswers },
  },
  {
    service: 'order-service',
    method: 'get',
    path: '/api/operations/orders/stuck',
    operationId: 'stuckOrders',
    summary: 'The orders that stopped moving, each with its reason',
    tag: 'operations',
    security: admin,
    responses: { 200: ok('The stuck orders', stuckOrdersViewSchema), ...adminAnswers },
  },
  {
    service: 'order-service',
    method: 'get',
    path: '/api/operations/orders/{id}/timeline',
    operationId: 'orderTimeline',
    summary: "One order's journey through every service",
    tag: 'operations',
    security: admin,
    pathParams: { id: orderIdSchema },
    responses: { 200: ok('The timeline', orderTimelineViewSchema), 400: badRequest, ...adminAnswers, 404: notFound('order') },
  },
  ...operationsEndpoints('order-service', 'orders'),

  // inventory-service: stock.
  {
    service: 'inventory-service',
    method: 'get',
    path: '/api/stock',
    operationId: 'listStock',
    summary: 'The stock level of every sku',
    tag: 'stock',
    responses: { 200: ok('The stock levels', z.array(stockLevelViewSchema), []) },
  },
  {
    service: 'inventory-service',
    method: 'get',
    path: '/api/stock/{sku}',
    operationId: 'getStock',
    summary: "One sku's stock level",
    tag: 'stock',
    pathParams: { sku: skuSchema },
    responses: { 200: ok('The stock level', stockLevelViewSchema, []), 400: badRequest, 404: notFound('stocked sku') },
  },
  {
    service: 'inventory-service',
    method: 'post',
    path: '/api/stock/{sku}/restock',
    operationId: 'restock',
    summary: "Adds to a sku's stock",
    tag: 'stock',
    security: admin,
    pathParams: { sku: skuSchema },
    body: { schema: restockRequestSchema, required: true },
    responses: { 200: ok('The new stock level', stockLevelViewSchema, []), ...bodyAnswers, ...adminAnswers, 404: notFound('stocked sku') },
  },
  ...operationsEndpoints('inventory-service', 'inventory'),

  // notification-service: the emails sent about an order.
  {
    service: 'notification-service',
    method: 'get',
    path: '/api/notifications/orders/{orderId}',
    operationId: 'sentEmails',
    summary: 'The emails the mail server accepted for an order',
    tag: 'notifications',
    pathParams: { orderId: orderIdSchema },
    responses: { 200: ok('The emails sent', z.array(sentEmailViewSchema)), 400: badRequest },
  },
  ...operationsEndpoints('notification-service', 'notifications'),

  // payment-service: only its operators' routes (it talks to the provider, not to browsers).
  ...operationsEndpoints('payment-service', 'payments'),
];

const TAGS = [
  { name: 'catalog', description: 'Products, search and sort (order-service)' },
  { name: 'orders', description: 'Placing, reading, following and cancelling orders (order-service)' },
  { name: 'sessions', description: "A shopper's sign-in by emailed link, kept in an HttpOnly cookie (order-service)" },
  { name: 'system', description: 'What the shop tells shoppers about itself, and this document (order-service)' },
  { name: 'stock', description: 'Stock levels and restocking (inventory-service)' },
  { name: 'notifications', description: 'The emails sent about an order (notification-service)' },
  {
    name: 'operations',
    description: "The operators' API: each service's dead letters, parked outbox rows and audit under its own prefix; stuck orders and timelines",
  },
];

const RESPONSE_HEADERS: Record<ResponseHeader, { description: string; schema: object }> = {
  'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } },
  'Idempotent-Replayed': {
    description: 'Present (`true`) when the answer is the one stored for this Idempotency-Key: the order was placed by an earlier request',
    schema: { type: 'string', const: 'true' },
  },
  Location: { description: "The new resource's path", schema: { type: 'string' } },
  'Set-Cookie': { description: `The \`${SESSION_COOKIE}\` session cookie (HttpOnly, SameSite=Lax, Path=/api)`, schema: { type: 'string' } },
  'Cache-Control': { description: 'Who may keep a copy (`no-store` for anything about a shopper)', schema: { type: 'string' } },
};

const SECURITY_SCHEMES: Record<Security, JsonSchema> = {
  adminToken: { type: 'http', scheme: 'bearer', description: "The operators' token (each service's ADMIN_TOKEN)" },
  shopperSession: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'A shopper session, set by POST /api/sessions' },
  cancelToken: { type: 'apiKey', in: 'header', name: 'cancel-token', description: 'The `cancelToken` of the 201 that placed the order' },
};

type JsonSchema = Record<string, unknown>;
const SCHEMA_OPTIONS = { target: 'draft-2020-12', unrepresentable: 'any' } as const;
const COMPONENT_REF = (id: string) => `#/components/schemas/${id}`;

/**
 * The named schemas, requests as a client may send them (`io: 'input'`: defaults optional, no
 * transforms) and answers as the services write them (`io: 'output'`: closed objects, so a field
 * a service adds without the contract fails the contract test).
 */
function componentSchemas(): { schemas: Record<string, JsonSchema>; refs: Map<z.ZodType, string> } {
  const schemas: Record<string, JsonSchema> = {};
  const refs = new Map<z.ZodType, string>();
  for (const [io, named] of [
    ['input', REQUEST_COMPONENTS],
    ['output', RESPONSE_COMPONENTS],
  ] as const) {
    const registry = z.registry<{ id: string }>();
    for (const [id, schema] of named) {
      registry.add(schema, { id });
      refs.set(schema, id);
    }
    const generated = z.toJSONSchema(registry, { ...SCHEMA_OPTIONS, io, uri: COMPONENT_REF });
    for (const [id, schema] of Object.entries(generated.schemas)) schemas[id] = withoutDialect(schema as JsonSchema);
  }
  return { schemas, refs };
}

/** Without what zod's registry output adds that a component does not want: the dialect (the document's is 2020-12) and the `$id` it gave it. */
function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

/** A schema where it is used: a $ref to its component when it has one, else written in place (with refs to named ones inside it). */
function schemaOf(schema: z.ZodType, io: 'input' | 'output', refs: Map<z.ZodType, string>): JsonSchema {
  const id = refs.get(schema);
  if (id) return { $ref: COMPONENT_REF(id) };
  const registry = z.registry<{ id: string }>();
  for (const [named, namedId] of refs) registry.add(named, { id: namedId });
  registry.add(schema, { id: '__inline' });
  const generated = z.toJSONSchema(registry, { ...SCHEMA_OPTIONS, io, uri: COMPONENT_REF });
  return withoutDialect(generated.schemas.__inline as JsonSchema);
}

function operationOf(endpoint: Endpoint, refs: Map<z.ZodType, string>): JsonSchema {
  const parameters: JsonSchema[] = [];
  for (const [name, schema] of Object.entries(endpoint.pathParams ?? {})) {
    parameters.push({ name, in: 'path', required: true, schema: schemaOf(schema, 'input', refs) });
  }
  if (endpoint.query) {
    const query = schemaOf(endpoint.query, 'input', refs) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
    }
  }
  for (const header of endpoint.headers ?? []) {
    parameters.push({
      name: header.name,
      in: 'header',
      required: header.required,
      description: header.description,
      schema: schemaOf(header.schema, 'input', refs),
    });
  }
  // What every endpoint may answer besides its own: 400 for a query string that is not valid percent-encoded UTF-8
  // (libs/platform checks every route's before any handler), 503 when its service cannot reach its database
  // (DatabaseUnavailableFilter is global) unless the table says what its 503 is, and the router's 414 for a path
  // parameter over its length (Fastify's 100 characters), before any validation, in the API's error body.
  const answers: Record<number, ResponseSpec> = { ...endpoint.responses };
  answers[400] ??= badRequest;
  if (!endpoint.readsNoDatabase) answers[503] ??= databaseDown;
  if (endpoint.pathParams) answers[414] = { description: 'A path parameter is longer than 100 characters', body: apiErrorBodySchema };
  const responses: Record<string, JsonSchema> = {};
  for (const [status, spec] of Object.entries(answers)) {
    const headers = Object.fromEntries((spec.headers ?? []).map((name) => [name, RESPONSE_HEADERS[name]]));
    const mediaType = spec.eventStream ? 'text/event-stream' : 'application/json';
    responses[status] = {
      description: spec.description,
      ...(Object.keys(headers).length > 0 && { headers }),
      ...(spec.body && { content: { [mediaType]: { schema: schemaOf(spec.body, 'output', refs) } } }),
    };
  }
  return {
    operationId: endpoint.operationId,
    summary: endpoint.summary,
    tags: [endpoint.tag],
    // Said on every operation, public ones included (`[{}]`: no credential needed).
    security: (endpoint.security ?? [[]]).map((alternative) => Object.fromEntries(alternative.map((scheme) => [scheme, []]))),
    ...(parameters.length > 0 && { parameters }),
    ...(endpoint.body && {
      requestBody: { required: endpoint.body.required, content: { 'application/json': { schema: schemaOf(endpoint.body.schema, 'input', refs) } } },
    }),
    responses,
  };
}

/** The component names a part of the document refers to, followed through the components themselves. */
function referencedComponents(root: unknown, schemas: Record<string, JsonSchema>): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === '$ref' && typeof inner === 'string' && inner.startsWith(COMPONENT_REF(''))) {
          const id = inner.slice(COMPONENT_REF('').length);
          if (!found.has(id)) {
            found.add(id);
            visit(schemas[id]);
          }
        } else visit(inner);
      }
    }
  };
  visit(root);
  return found;
}

/**
 * The OpenAPI 3.1 document of the whole shop (as reached through the storefront's origin, which
 * sends each path to its service), or of one service's part.
 */
export function openApiDocument(service?: Service): JsonSchema {
  if (service !== undefined && !SERVICES.includes(service)) throw new Error(`openApiDocument: no service "${String(service)}"`);
  const { schemas, refs } = componentSchemas();
  const endpoints = ENDPOINTS.filter((endpoint) => service === undefined || endpoint.service === service);
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const endpoint of endpoints) {
    (paths[endpoint.path] ??= {})[endpoint.method] = operationOf(endpoint, refs);
  }
  const used = referencedComponents(paths, schemas);
  const usedTags = new Set(endpoints.map((endpoint) => endpoint.tag));
  const usedSchemes = new Set(endpoints.flatMap((endpoint) => (endpoint.security ?? []).flat()));
  return {
    openapi: '3.1.0',
    info: {
      title: service === undefined ? `${SHOP_NAME} API` : `${SHOP_NAME} API: ${service}`,
      version: '1.0.0',
      description:
        service === undefined
          ? "The shop's HTTP API, as its storefront's origin serves it (each path is proxied to the service that owns it). Generated from the zod contracts in libs/contracts."
          : `The part of the shop's HTTP API that ${service} serves. Generated from the zod contracts in libs/contracts.`,
    },
    servers: [{ url: '/', description: service === undefined ? "The storefront's origin" : service }],
    tags: TAGS.filter((tag) => usedTags.has(tag.name)),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).filter(([id]) => used.has(id))),
      securitySchemes: Object.fromEntries(Object.entries(SECURITY_SCHEMES).filter(([name]) => usedSchemes.has(name as Security))),
    },
  };
}
