import { z } from 'zod';
import { paymentTokenSchema } from './payment-provider';
import { emailSchema, humanTextSchema } from './text';

/** Limits a shop would set; each one is a 4xx naming the field when exceeded. */
export const ORDER_LIMITS = {
  maxLines: 50,
  maxQuantityPerLine: 100,
  maxNameLength: 120,
  maxEmailLength: 254,
  maxIdempotencyKeyLength: 128,
} as const;

/** The one currency the catalog is priced in (ISO 4217). */
export const SHOP_CURRENCY = 'USD';

export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,31}$/;
export const skuSchema = z.string().regex(SKU_PATTERN, 'must be an uppercase sku such as "MUG-001"');

/** A shopper's email, in an order body and in a sign-in link request: lower-cased, so one shopper has one address. */
export const customerEmailSchema = emailSchema(ORDER_LIMITS.maxEmailLength);

/**
 * An order's status: PENDING (stored, stock not yet reserved), RESERVED (stock held, payment being
 * authorized), then one final status: CONFIRMED (paid), REJECTED (stock short or payment declined;
 * anything held is given back) or CANCELLED (by the shopper, from any status before it is final or
 * from CONFIRMED; stock given back, payment voided or refunded). The saga in order-service says
 * which event moves an order where.
 */
export const ORDER_STATUSES = ['PENDING', 'RESERVED', 'CONFIRMED', 'REJECTED', 'CANCELLED'] as const;
export const orderStatusSchema = z.enum(ORDER_STATUSES);
export type OrderStatus = z.infer<typeof orderStatusSchema>;
/** The statuses from which a shopper may still cancel (there is no shipping yet: a confirmed order may be cancelled and refunded). */
export const CANCELLABLE_STATUSES: readonly OrderStatus[] = ['PENDING', 'RESERVED', 'CONFIRMED'];

/** Where the order's money stands at the provider, as the payment results reported it. */
export const PAYMENT_STATUSES = ['authorized', 'declined', 'captured', 'voided', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const orderLineInputSchema = z.strictObject({
  sku: skuSchema,
  quantity: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(ORDER_LIMITS.maxQuantityPerLine, `must be at most ${ORDER_LIMITS.maxQuantityPerLine}`),
});

/** Body of POST /api/orders. Prices are never taken from the client. */
export const createOrderRequestSchema = z.strictObject({
  customer: z.strictObject({
    name: humanTextSchema(ORDER_LIMITS.maxNameLength),
    email: customerEmailSchema,
  }),
  lines: z
    .array(orderLineInputSchema)
    .min(1, 'must contain at least one line')
    .max(ORDER_LIMITS.maxLines, `must contain at most ${ORDER_LIMITS.maxLines} lines`)
    .superRefine((lines, ctx) => {
      const seen = new Set<string>();
      lines.forEach((line, index) => {
        if (seen.has(line.sku)) {
          ctx.addIssue({ code: 'custom', path: [index, 'sku'], message: `duplicates sku ${line.sku}; raise the quantity instead` });
        }
        seen.add(line.sku);
      });
    }),
  /** The provider's token for the shopper's card (the browser made it at the provider); never a card number. */
  payment: z.strictObject({ token: paymentTokenSchema }, { error: 'is required: { "token": "tok_..." } from the payment provider' }),
});
export type CreateOrderRequest = z.infer<typeof createOrderRequestSchema>;

/** Header that makes POST /api/orders safe to retry. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const idempotencyKeySchema = z
  .string({ error: 'header is required' })
  .min(1, 'header is required')
  .max(ORDER_LIMITS.maxIdempotencyKeyLength, `must be at most ${ORDER_LIMITS.maxIdempotencyKeyLength} characters`)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/**
 * A moment as the API writes it: an ISO 8601 timestamp (`toISOString()`, UTC). The response views
 * below are zod schemas like the requests, so the OpenAPI document (./openapi.ts) describes what the
 * services answer from the same definitions the storefront's types come from.
 */
export const timestampSchema = z.iso.datetime({ offset: true });

/** The query of an endpoint that takes none: any parameter is a 400 naming it. */
export const noQuerySchema = z.strictObject({});

/** An order's id. */
export const orderIdSchema = z.uuid('must be an order id (uuid)');

export const orderLineViewSchema = z.object({
  sku: z.string(),
  name: z.string(),
  quantity: z.number().int(),
  unitPriceCents: z.number().int(),
});
export type OrderLineView = z.infer<typeof orderLineViewSchema>;

/** The order's money at the provider; null until payment-service reported on it. */
export const orderPaymentViewSchema = z.object({ status: z.enum(PAYMENT_STATUSES), reason: z.string().nullable() }).nullable();

export const orderViewSchema = z.object({
  id: z.uuid(),
  status: orderStatusSchema,
  statusReason: z.string().nullable(),
  customer: z.object({ name: z.string(), email: z.string() }),
  lines: z.array(orderLineViewSchema),
  totalCents: z.number().int(),
  payment: orderPaymentViewSchema,
  /** Inventory gave back what it held for the order (after a cancel or a declined payment). */
  stockReleased: z.boolean(),
  /** The shopper may still cancel it (see CANCELLABLE_STATUSES). */
  cancellable: z.boolean(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
export type OrderView = z.infer<typeof orderViewSchema>;

/**
 * The 201 of POST /api/orders (and its idempotent replay): the order, and the capability to cancel
 * it. Only whoever placed the order gets `cancelToken`; GET never returns it, and the order id
 * alone cancels nothing.
 */
export const placedOrderViewSchema = orderViewSchema.extend({ cancelToken: z.string() });
export type PlacedOrderView = z.infer<typeof placedOrderViewSchema>;

/** The header that carries an order's cancel capability on POST /api/orders/:id/cancel (else the shopper's session). */
export const CANCEL_TOKEN_HEADER = 'cancel-token';
export const cancelTokenSchema = z
  .string({ error: 'header is required' })
  .min(16, 'must be the cancelToken returned when the order was placed')
  .max(200, 'must be the cancelToken returned when the order was placed')
  .regex(/^[A-Za-z0-9_-]+$/, 'must be the cancelToken returned when the order was placed');

/** Body of POST /api/orders/:id/cancel (optional). */
export const cancelOrderRequestSchema = z.strictObject({
  reason: humanTextSchema(200).optional(),
});
export type CancelOrderRequest = z.infer<typeof cancelOrderRequestSchema>;

/** One server-sent event on GET /api/orders/:id/events (the `data` of each event that is not a heartbeat). */
export const orderStatusEventSchema = z.object({
  orderId: z.uuid(),
  status: orderStatusSchema,
  statusReason: z.string().nullable(),
  payment: orderPaymentViewSchema,
  stockReleased: z.boolean(),
  cancellable: z.boolean(),
  updatedAt: timestampSchema,
});
export type OrderStatusEvent = z.infer<typeof orderStatusEventSchema>;

export const productViewSchema = z.object({
  sku: z.string(),
  name: z.string(),
  description: z.string(),
  priceCents: z.number().int(),
  imageUrl: z.string(),
});
export type ProductView = z.infer<typeof productViewSchema>;

export const stockLevelViewSchema = z.object({
  sku: z.string(),
  available: z.number().int(),
  updatedAt: timestampSchema,
});
export type StockLevelView = z.infer<typeof stockLevelViewSchema>;

export const restockRequestSchema = z.strictObject({
  quantity: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000'),
});
export type RestockRequest = z.infer<typeof restockRequestSchema>;

/**
 * GET /api/system/status, public: what the shop tells a shopper, in one word. `delayed` when
 * confirmations run late (inventory offline or slow, the broker unreachable, the outbox behind);
 * the figures behind it are the operators' (OperationsStatusView).
 */
export const shopperStatusViewSchema = z.object({
  confirmations: z.enum(['prompt', 'delayed']),
  checkedAt: timestampSchema,
  /**
   * An order PENDING for longer than this while confirmations are prompt has stopped moving: its
   * page tells the shopper a person will look at it (operators see it among the stuck orders).
   */
  stuckAfterSeconds: z.number(),
});
export type ShopperStatusView = z.infer<typeof shopperStatusViewSchema>;

/** GET /api/operations/status, behind the admin token: the figures an operator reads. */
export const systemStatusViewSchema = z.object({
  broker: z.object({ reachable: z.boolean() }),
  outbox: z.object({ backlog: z.number().int(), oldestAgeSeconds: z.number().nullable() }),
  inventory: z.object({
    /** An inventory consumer is attached to its queue. */
    online: z.boolean(),
    queueDepth: z.number().int().nullable(),
    consumers: z.number().int().nullable(),
  }),
  checkedAt: timestampSchema,
});
export type SystemStatusView = z.infer<typeof systemStatusViewSchema>;

/** Error body of every 4xx (and of a 503): `field` names what to fix. */
export const apiErrorBodySchema = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string(),
  /** One entry per field to fix, named as the client sent it (`lines.0.quantity`, `Idempotency-Key`). */
  issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});
export type ApiErrorBody = z.infer<typeof apiErrorBodySchema>;

/** The 409 of a cancel: the error, and the status that no longer allows it. */
export const cancelConflictBodySchema = apiErrorBodySchema.extend({ status: orderStatusSchema });

/** The 429 or 503 of an order's event stream past a cap: the error, and the variable that sets the cap. */
export const streamLimitBodySchema = apiErrorBodySchema.extend({ limit: z.enum(['SSE_MAX_STREAMS_PER_CLIENT', 'SSE_MAX_STREAMS']) });
