import { z } from 'zod';
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

export const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'REJECTED'] as const;
export const orderStatusSchema = z.enum(ORDER_STATUSES);
export type OrderStatus = z.infer<typeof orderStatusSchema>;

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
  createdAt: string;
  updatedAt: string;
}

/** One server-sent event on GET /api/orders/:id/events. */
export interface OrderStatusEvent {
  orderId: string;
  status: OrderStatus;
  statusReason: string | null;
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
