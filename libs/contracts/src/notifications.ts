import { z } from 'zod';
import { timestampSchema } from './orders';

/** The emails notification-service sends about an order, one per lifecycle event. */
export const ORDER_EMAIL_KINDS = ['received', 'confirmed', 'rejected', 'cancelled'] as const;
export type OrderEmailKind = (typeof ORDER_EMAIL_KINDS)[number];

/** GET /api/notifications/orders/:orderId: an email the mail server accepted for that order. */
export const sentEmailViewSchema = z.object({ kind: z.enum(ORDER_EMAIL_KINDS), recipient: z.string(), sentAt: timestampSchema });
export type SentEmailView = z.infer<typeof sentEmailViewSchema>;
