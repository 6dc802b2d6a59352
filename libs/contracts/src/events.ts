import { z } from 'zod';
import { ORDER_LIMITS, skuSchema } from './orders';

/**
 * Payload schemas of the integration events. A breaking change gets a new schemaVersion. They hold
 * the same limits as the HTTP bodies that produce them, so an oversize message is dead-lettered, not processed.
 */
const reservedLineSchema = z.strictObject({ sku: skuSchema, quantity: z.number().int().min(1).max(ORDER_LIMITS.maxQuantityPerLine) });
const reservedLinesSchema = z.array(reservedLineSchema).min(1).max(ORDER_LIMITS.maxLines);
/** Longest reason a consumer stores and shows (a sku and two numbers need far less). */
const MAX_REASON_LENGTH = 500;

export const orderPlacedSchema = z.strictObject({
  schemaVersion: z.literal(1),
  orderId: z.uuid(),
  lines: reservedLinesSchema,
  placedAt: z.iso.datetime(),
});
export type OrderPlaced = z.infer<typeof orderPlacedSchema>;

export const stockReservedSchema = z.strictObject({
  schemaVersion: z.literal(1),
  orderId: z.uuid(),
  lines: reservedLinesSchema,
  reservedAt: z.iso.datetime(),
});
export type StockReserved = z.infer<typeof stockReservedSchema>;

export const stockRejectedSchema = z.strictObject({
  schemaVersion: z.literal(1),
  orderId: z.uuid(),
  /** The first sku (in sku order) that could not be reserved. */
  sku: skuSchema,
  reason: z.string().min(1).max(MAX_REASON_LENGTH),
  rejectedAt: z.iso.datetime(),
});
export type StockRejected = z.infer<typeof stockRejectedSchema>;
