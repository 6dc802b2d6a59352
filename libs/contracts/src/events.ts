import { z } from 'zod';
import { ORDER_LIMITS, skuSchema } from './orders';
import { paymentTokenSchema } from './payment-provider';

/**
 * Payload schemas of the integration events. They hold the same limits as the HTTP bodies that
 * produce them, so an oversize message is dead-lettered, not processed.
 *
 * Versioning: every consumer is a tolerant reader. Its schema names the fields it reads and ignores
 * (strips) any other, so a producer may add fields without a new version, and a consumer of the
 * previous shape keeps accepting the new messages. Removing a field, renaming it or changing its
 * meaning is a breaking change: a new schemaVersion, published next to the old one until every
 * consumer reads it.
 */
const quantitySchema = z.number().int().min(1).max(ORDER_LIMITS.maxQuantityPerLine);
const reservedLineSchema = z.object({ sku: skuSchema, quantity: quantitySchema });
const reservedLinesSchema = z.array(reservedLineSchema).min(1).max(ORDER_LIMITS.maxLines);
/** Longest reason a consumer stores and shows (a sku and two numbers need far less). */
const MAX_REASON_LENGTH = 500;
/** Cents; an order of 50 lines of 100 units at the highest catalog price stays far below. */
const centsSchema = z.number().int().min(0).max(1_000_000_000);

/** What an order carries to a receiver that must not call back (event-carried state): who, what, how much. */
const customerSchema = z.object({ name: z.string().min(1).max(ORDER_LIMITS.maxNameLength), email: z.string().min(3).max(ORDER_LIMITS.maxEmailLength) });
const pricedLineSchema = z.object({
  sku: skuSchema,
  productName: z.string().min(1).max(200),
  quantity: quantitySchema,
  unitPriceCents: centsSchema,
});
const paymentRequestSchema = z.object({ token: paymentTokenSchema });
const orderStateSchema = z.object({
  orderId: z.uuid(),
  customer: customerSchema,
  lines: z.array(pricedLineSchema).min(1).max(ORDER_LIMITS.maxLines),
  totalCents: centsSchema,
  /** ISO 4217; the catalog is priced in one currency. */
  currency: z.string().length(3),
  placedAt: z.iso.datetime(),
});

/**
 * `order.placed` as first published (version 1): what inventory reads. Kept as its own schema so a
 * test can show that a reader of this shape accepts every later, extended message.
 */
export const orderPlacedV1Schema = z.object({
  schemaVersion: z.literal(1),
  orderId: z.uuid(),
  lines: reservedLinesSchema,
  placedAt: z.iso.datetime(),
});
export type OrderPlacedV1 = z.infer<typeof orderPlacedV1Schema>;

/** `order.placed` as order-service publishes it now: version 1 plus the customer, priced lines and total (added fields, same version). */
export const orderPlacedSchema = orderPlacedV1Schema.extend(orderStateSchema.shape);
export type OrderPlaced = z.infer<typeof orderPlacedSchema>;

/**
 * The order's stock is reserved and its payment is next: what payment-service authorizes. The token
 * is the provider's (the browser turned the card into it at the provider); no card number travels.
 */
export const orderReservedSchema = orderStateSchema.extend({
  schemaVersion: z.literal(1),
  payment: paymentRequestSchema,
  reservedAt: z.iso.datetime(),
});
export type OrderReserved = z.infer<typeof orderReservedSchema>;

/** The order's stock is reserved and its payment authorized: it is confirmed (payment-service captures it). */
export const orderConfirmedSchema = orderStateSchema.extend({
  schemaVersion: z.literal(1),
  confirmedAt: z.iso.datetime(),
});
export type OrderConfirmed = z.infer<typeof orderConfirmedSchema>;

/**
 * The order could not be confirmed: a sku was short (inventory's reason), or its payment was
 * declined (the provider's reason; inventory gives its stock back). `cause` says which; a reader of
 * the first messages, which had none, reads `stock`.
 */
export const orderRejectedSchema = orderStateSchema.extend({
  schemaVersion: z.literal(1),
  reason: z.string().min(1).max(MAX_REASON_LENGTH),
  cause: z.enum(['stock', 'payment']).default('stock'),
  rejectedAt: z.iso.datetime(),
});
export type OrderRejected = z.infer<typeof orderRejectedSchema>;

/**
 * The shopper cancelled the order (from PENDING, RESERVED or CONFIRMED). Inventory gives back what
 * it holds for it (or, if the order has not reached it yet, records that it must take nothing);
 * payment-service voids or refunds whatever it holds (or records that it must charge nothing).
 * `paymentHeld` is what order-service knew when the shopper cancelled, for the shopper's email.
 */
export const orderCancelledSchema = orderStateSchema.extend({
  schemaVersion: z.literal(1),
  previousStatus: z.enum(['PENDING', 'RESERVED', 'CONFIRMED']),
  paymentHeld: z.boolean(),
  cancelledAt: z.iso.datetime(),
});
export type OrderCancelled = z.infer<typeof orderCancelledSchema>;

/** What the order-releases queue reads of `order.rejected` and `order.cancelled`: which order, and when. */
export const orderReleaseReaderSchema = z.object({
  schemaVersion: z.literal(1),
  orderId: z.uuid(),
});
export type OrderReleaseRequest = z.infer<typeof orderReleaseReaderSchema>;

export const stockReservedSchema = z.object({
  schemaVersion: z.literal(1),
  orderId: z.uuid(),
  lines: reservedLinesSchema,
  reservedAt: z.iso.datetime(),
});
export type StockReserved = z.infer<typeof stockReservedSchema>;

export const stockRejectedSchema = z.object({
  schemaVersion: z.literal(1),
  orderId: z.uuid(),
  /** The first sku (in sku order) that could not be reserved. */
  sku: skuSchema,
  reason: z.string().min(1).max(MAX_REASON_LENGTH),
  rejectedAt: z.iso.datetime(),
});
export type StockRejected = z.infer<typeof stockRejectedSchema>;

/**
 * A shopper asked for a link to their orders (POST /api/sessions/link). The token is the link's
 * secret: it expires (expiresAt), works once and is useless without the shopper's inbox, so it may
 * sit in the outbox, the queue or a DLQ until then. A receiver sends it and never stores it.
 */
export const signInRequestedSchema = z.object({
  schemaVersion: z.literal(1),
  linkId: z.uuid(),
  email: z.string().min(3).max(ORDER_LIMITS.maxEmailLength),
  token: z.string().min(40).max(400),
  expiresAt: z.iso.datetime(),
  requestedAt: z.iso.datetime(),
});
export type SignInRequested = z.infer<typeof signInRequestedSchema>;

/**
 * What inventory gave back for an order that was cancelled or whose payment was declined, once per
 * order: `lines` is empty when it held nothing (the stock was rejected, or the cancel arrived before
 * the order, which will then take nothing).
 */
export const stockReleasedSchema = z.object({
  schemaVersion: z.literal(1),
  orderId: z.uuid(),
  lines: z.array(reservedLineSchema).max(ORDER_LIMITS.maxLines),
  releasedAt: z.iso.datetime(),
});
export type StockReleased = z.infer<typeof stockReleasedSchema>;

const paymentOutcomeSchema = z.object({
  schemaVersion: z.literal(1),
  orderId: z.uuid(),
  /** The provider's authorization id. */
  authorizationId: z.string().min(1).max(200),
  amountCents: centsSchema,
  currency: z.string().length(3),
  at: z.iso.datetime(),
});
/** The provider authorized the order's total (money held, not yet moved). */
export const paymentAuthorizedSchema = paymentOutcomeSchema;
export type PaymentAuthorized = z.infer<typeof paymentAuthorizedSchema>;
/** The provider declined the payment: `code` for machines, `reason` in words a shopper can act on. */
export const paymentDeclinedSchema = paymentOutcomeSchema.extend({
  code: z.string().min(1).max(100),
  reason: z.string().min(1).max(MAX_REASON_LENGTH),
});
export type PaymentDeclined = z.infer<typeof paymentDeclinedSchema>;
/** The held amount was captured (money moved) after the order was confirmed. */
export const paymentCapturedSchema = paymentOutcomeSchema;
export type PaymentCaptured = z.infer<typeof paymentCapturedSchema>;
/** The hold was released before any capture (cancel): no money moved. */
export const paymentVoidedSchema = paymentOutcomeSchema;
export type PaymentVoided = z.infer<typeof paymentVoidedSchema>;
/** The captured amount was given back (cancel after capture). */
export const paymentRefundedSchema = paymentOutcomeSchema;
export type PaymentRefunded = z.infer<typeof paymentRefundedSchema>;
