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

export interface OrderLineView {
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
}

export interface OrderView {
  id: string;
  status: OrderStatus;
  statusReason: string | null;
  customer: { name: string; email: string };
  lines: OrderLineView[];
  totalCents: number;
  /** The order's money at the provider; null until payment-service reported on it. */
  payment: { status: PaymentStatus; reason: string | null } | null;
  /** Inventory gave back what it held for the order (after a cancel or a declined payment). */
  stockReleased: boolean;
  /** The shopper may still cancel it (see CANCELLABLE_STATUSES). */
  cancellable: boolean;
  createdAt: string;
  updatedAt: string;
}

/**
 * The 201 of POST /api/orders (and its idempotent replay): the order, and the capability to cancel
 * it. Only whoever placed the order gets `cancelToken`; GET never returns it, and the order id
 * alone cancels nothing.
 */
export interface PlacedOrderView extends OrderView {
  cancelToken: string;
}

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

/** One server-sent event on GET /api/orders/:id/events. */
export interface OrderStatusEvent {
  orderId: string;
  status: OrderStatus;
  statusReason: string | null;
  payment: OrderView['payment'];
  stockReleased: boolean;
  cancellable: boolean;
  updatedAt: string;
}

export interface ProductView {
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  imageUrl: string;
}

export interface StockLevelView {
  sku: string;
  available: number;
  updatedAt: string;
}

export const restockRequestSchema = z.strictObject({
  quantity: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000'),
});
export type RestockRequest = z.infer<typeof restockRequestSchema>;

/**
 * GET /api/system/status, public: what the shop tells a shopper, in one word. `delayed` when
 * confirmations run late (inventory offline or slow, the broker unreachable, the outbox behind);
 * the figures behind it are the operators' (OperationsStatusView).
 */
export interface ShopperStatusView {
  confirmations: 'prompt' | 'delayed';
  checkedAt: string;
  /**
   * An order PENDING for longer than this while confirmations are prompt has stopped moving: its
   * page tells the shopper a person will look at it (operators see it among the stuck orders).
   */
  stuckAfterSeconds: number;
}

/** GET /api/operations/status, behind the admin token: the figures an operator reads. */
export interface SystemStatusView {
  broker: { reachable: boolean };
  outbox: { backlog: number; oldestAgeSeconds: number | null };
  inventory: {
    /** An inventory consumer is attached to its queue. */
    online: boolean;
    queueDepth: number | null;
    consumers: number | null;
  };
  checkedAt: string;
}

/** Error body of every 4xx: `field` names what to fix. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  issues?: { field: string; message: string }[];
}
