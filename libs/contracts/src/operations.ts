import { z } from 'zod';
import type { OrderStatus } from './orders';

/**
 * The operators' API: dead letters, parked outbox rows, the audit, stuck orders and an order's
 * timeline. Every route sits behind `Authorization: Bearer <ADMIN_TOKEN>`; every action names its
 * operator in the `X-Operator` header. The console (storefront /operations) and `pnpm ops` call
 * exactly these, through the shop's one front door (nginx, or the Vite proxy in development).
 *
 * Each service keeps the dead letters of its own queues and its own parked outbox rows, under its own
 * prefix (`OPERATIONS_PREFIX`): nginx sends `/api/operations/inventory/` to inventory-service,
 * `/api/operations/notifications/` to notification-service, `/api/operations/payments/` to
 * payment-service, and the rest of `/api/operations/` to
 * order-service, which also serves the stuck orders and the timelines (it asks the others).
 */
export const OPERATED_SERVICES = ['orders', 'inventory', 'notifications', 'payments'] as const;
export type OperatedService = (typeof OPERATED_SERVICES)[number];

export const OPERATIONS_PREFIX: Record<OperatedService, string> = {
  orders: '/api/operations/orders',
  inventory: '/api/operations/inventory',
  notifications: '/api/operations/notifications',
  payments: '/api/operations/payments',
};

/** Who acts: a name sent with every action (audited), 1-100 printable characters. */
export const OPERATOR_HEADER = 'x-operator';
export const operatorSchema = z
  .string()
  .trim()
  .min(1, 'must name the operator')
  .max(100, 'must be at most 100 characters')
  .refine((name) => ![...name].some((char) => char < ' ' || char === '\u007f'), 'may not hold control characters');

export const DEAD_LETTER_STATUSES = ['open', 'replayed', 'discarded'] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

/** The open dead letters of one cause (queue + error class + normalised reason). */
export interface DeadLetterGroupView {
  fingerprint: string;
  queue: string;
  errorClass: string;
  /** The reason of the most recent one. */
  reason: string;
  count: number;
  firstFailedAt: string;
  lastFailedAt: string;
}

/**
 * What became of a replay: `pending` until the replayed message is published and handled; `applied`
 * when the consumer applied it (it had not been before); `duplicate` when it had been applied already
 * and the inbox dropped it; `failed-again` when it came back to the dead letters (`failedAgainAs`).
 */
export type ReplayOutcome = 'pending' | 'applied' | 'duplicate' | 'failed-again';

export interface DeadLetterView {
  id: string;
  /** Which service keeps it. */
  service: OperatedService;
  queue: string;
  messageId: string;
  /** 0: the first failure; n: the n-th replay of it failed again (`replayOf` is the first failure). */
  replayCount: number;
  replayOf: string | null;
  routingKey: string;
  messageType: string | null;
  headers: Record<string, unknown>;
  /** Parsed JSON, or null when the body is not JSON (`body` holds it as received). */
  payload: unknown;
  body: string;
  reason: string;
  errorClass: string;
  lastError: string | null;
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
  fingerprint: string;
  status: DeadLetterStatus;
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** The order it concerns, when its payload names one. */
  orderId: string | null;
  /** For a replayed one. */
  replay: { outcome: ReplayOutcome; failedAgainAs: string | null } | null;
}

export const deadLetterListQuerySchema = z.strictObject({
  status: z.enum(DEAD_LETTER_STATUSES).optional(),
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{16}$/, 'must be a 16-digit hex fingerprint')
    .optional(),
  orderId: z.uuid('must be a UUID').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type DeadLetterListQuery = z.infer<typeof deadLetterListQuerySchema>;

/** POST .../dead-letters/:id/replay: back to the queue it died in, through the outbox, under its own message id. */
export const replayRequestSchema = z.strictObject({});

/**
 * POST .../dead-letters/replay: several at once, paced; either `ids` or a `fingerprint` (the group's
 * open ones). It stops once more than `maxFailures` of the replayed messages failed again.
 */
export const groupReplayRequestSchema = z
  .strictObject({
    ids: z.array(z.uuid('must be a UUID')).min(1, 'must name at least one dead letter').max(1000).optional(),
    fingerprint: z
      .string()
      .regex(/^[0-9a-f]{16}$/, 'must be a 16-digit hex fingerprint')
      .optional(),
    /** Messages per second published at most. */
    ratePerSecond: z.number().int().min(1).max(500).default(50),
    maxFailures: z.number().int().min(0).max(1000).default(10),
  })
  .refine((request) => (request.ids ? 1 : 0) + (request.fingerprint ? 1 : 0) === 1, { message: 'name either ids or a fingerprint', path: ['ids'] });
export type GroupReplayRequest = z.infer<typeof groupReplayRequestSchema>;

export const discardRequestSchema = z.strictObject({
  reason: z.string().trim().min(3, 'must say why (at least 3 characters)').max(500),
});
export type DiscardRequest = z.infer<typeof discardRequestSchema>;

/** POST .../dead-letters/:id/edit: a corrected payload, validated against the event's schema, sent as a new message. */
export const editRequestSchema = z.strictObject({
  payload: z.record(z.string(), z.unknown()),
  note: z.string().trim().max(500).optional(),
});
export type EditRequest = z.infer<typeof editRequestSchema>;

/** The answer to a replay, discard or edit of one dead letter. */
export interface DeadLetterActionResult {
  deadLetter: DeadLetterView;
  /** The message id sent (the original's for a replay, a new one for an edit); null for a discard. */
  messageId: string | null;
  auditId: string;
}

/** The answer to a group replay: it runs in the background; follow it in the audit and the group. */
export interface GroupReplayResult {
  replayId: string;
  selected: number;
  auditId: string;
}

/** An outbox row set aside after failing too often (unroutable, refused by the broker). */
export interface ParkedRowView {
  id: string;
  service: OperatedService;
  exchange: string;
  routingKey: string;
  payload: unknown;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  parkedAt: string;
  orderId: string | null;
}

export const AUDIT_ACTIONS = ['replay', 'group-replay', 'discard', 'edit', 'retry-parked', 'discard-parked'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntryView {
  id: string;
  service: OperatedService;
  at: string;
  operator: string;
  action: AuditAction;
  /** A dead letter id, an outbox row id or a fingerprint. */
  target: string;
  detail: Record<string, unknown>;
  /** `done`, `refused: <why>`, or for a group replay its progress and end. */
  outcome: string;
}

/** Why an order stands still, as far as order-service can tell. */
export type StuckReason =
  | { kind: 'outbox-unpublished'; attempts: number; lastError: string | null }
  | { kind: 'outbox-parked'; lastError: string | null; parkedAt: string }
  | { kind: 'dead-letter'; service: OperatedService; deadLetterId: string; reason: string }
  | { kind: 'unknown'; note: string };

export interface StuckOrderView {
  orderId: string;
  status: OrderStatus;
  createdAt: string;
  ageSeconds: number;
  reason: StuckReason;
}

export interface StuckOrdersView {
  /** PENDING longer than this (ORDER_STUCK_AFTER_SECONDS) while the path is healthy. */
  stuckAfterSeconds: number;
  /** False while inventory is offline or its queue is backed up: then nothing is called stuck, every order is merely late. */
  pathHealthy: boolean;
  orders: StuckOrderView[];
  /** What could not be asked (a service that did not answer), in words. */
  unknown: string[];
}

/** One hop as one service saw it, from its own tables (GET <prefix>/orders/:orderId/trace). */
export interface TraceEntry {
  at: string;
  /** See TimelineEntry.step. */
  step: string;
  detail: string;
}

export interface ServiceTraceView {
  service: OperatedService;
  orderId: string;
  entries: TraceEntry[];
}

/** One hop of an order's journey, from the services' own tables. */
export interface TimelineEntry {
  at: string;
  service: OperatedService;
  /**
   * accepted, outbox-written, published, delivered, decided, result-published, applied, pushed,
   * email-sent, retried, dead-lettered, replayed, parked.
   */
  step: string;
  detail: string;
  /** Seconds since the previous entry. */
  sincePreviousSeconds: number | null;
}

export interface OrderTimelineView {
  orderId: string;
  status: OrderStatus;
  entries: TimelineEntry[];
  /** Services that could not be asked, in words; their hops are missing. */
  unknown: string[];
  /**
   * The order's trace id (32 hex digits): the trace of the `traceparent` of its order.placed outbox
   * row, which the POST wrote, whether or not spans are exported. Null once the row is purged
   * (OUTBOX_RETENTION_HOURS).
   */
  traceId: string | null;
  /** The trace in the tracing backend's UI (order-service's TRACE_URL_TEMPLATE); null when unset or there is no trace id. */
  traceUrl: string | null;
}
