import { z } from 'zod';
import { skuSchema } from './orders';

/** Payload schemas of the integration events. A breaking change gets a new schemaVersion. */
const reservedLineSchema = z.strictObject({ sku: skuSchema, quantity: z.number().int().positive() });

export const orderPlacedSchema = z.strictObject({
  schemaVersion: z.literal(1),
  orderId: z.uuid(),
  lines: z.array(reservedLineSchema).min(1),
  placedAt: z.iso.datetime(),
});
export type OrderPlaced = z.infer<typeof orderPlacedSchema>;

export const stockReservedSchema = z.strictObject({
  schemaVersion: z.literal(1),
  orderId: z.uuid(),
  lines: z.array(reservedLineSchema).min(1),
  reservedAt: z.iso.datetime(),
});
export type StockReserved = z.infer<typeof stockReservedSchema>;

export const stockRejectedSchema = z.strictObject({
  schemaVersion: z.literal(1),
  orderId: z.uuid(),
  /** The first sku (in sku order) that could not be reserved. */
  sku: skuSchema,
  reason: z.string().min(1),
  rejectedAt: z.iso.datetime(),
});
export type StockRejected = z.infer<typeof stockRejectedSchema>;
