import { z } from 'zod';
import { ORDER_LIMITS, skuSchema } from './orders';

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

/** The order's stock was reserved: it is confirmed and will ship. */
export const orderConfirmedSchema = orderStateSchema.extend({
  schemaVersion: z.literal(1),
  confirmedAt: z.iso.datetime(),
});
export type OrderConfirmed = z.infer<typeof orderConfirmedSchema>;

/** The order could not be confirmed (a sku was short), with the reason inventory gave. */
export const orderRejectedSchema = orderStateSchema.extend({
  schemaVersion: z.literal(1),
  reason: z.string().min(1).max(MAX_REASON_LENGTH),
  rejectedAt: z.iso.datetime(),
});
export type OrderRejected = z.infer<typeof orderRejectedSchema>;

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
