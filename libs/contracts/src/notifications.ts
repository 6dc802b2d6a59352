/** The emails notification-service sends about an order, one per lifecycle event. */
export type OrderEmailKind = 'received' | 'confirmed' | 'rejected' | 'cancelled';

/** GET /api/notifications/orders/:orderId: an email the mail server accepted for that order. */
export interface SentEmailView {
  kind: OrderEmailKind;
  recipient: string;
  sentAt: string;
}
